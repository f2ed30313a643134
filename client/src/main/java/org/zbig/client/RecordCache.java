package org.zbig.client;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.storage.LoadResult;

/**
 * The records a database has loaded, shared by its connections whatever their snapshots: each
 * revision is kept with the range of tids it is valid for, {@code [start, end)}, an open end
 * meaning "current as far as the invalidations received tell". Loads and invalidations are applied
 * on the ZEO connection's event loop in the order the server sent them, so an open end is never
 * stale for a snapshot the database has reached. Bounded by bytes, least recently used first out.
 *
 * <p>Records of {@link #MAX_RECORD} bytes or more are not kept: they are the data of big-file
 * blocks, whose bytes the page that loaded them already holds; a second copy here would only push
 * the small records (blktab and chunk table nodes) out and keep the garbage collector busy.
 */
final class RecordCache {
  /** The size from which a record is not kept. */
  static final int MAX_RECORD = 256 << 10;

  private final long maxBytes;
  private long bytes;
  private final LinkedHashMap<Oid, List<LoadResult>> revisions =
      new LinkedHashMap<>(16, 0.75f, true);

  RecordCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The revision of {@code oid} visible at snapshot {@code at}, or null if not cached. */
  synchronized LoadResult lookup(Oid oid, Tid at) {
    List<LoadResult> rs = revisions.get(oid);
    if (rs == null) {
      return null;
    }
    for (LoadResult r : rs) {
      if (r.start().compareTo(at) <= 0 && (r.end() == null || r.end().compareTo(at) > 0)) {
        return r;
      }
    }
    return null;
  }

  /** Keeps a revision the server returned. Runs on the event loop. */
  synchronized void loaded(Oid oid, LoadResult r) {
    if (r.data().length() >= MAX_RECORD) {
      return;
    }
    List<LoadResult> rs = revisions.computeIfAbsent(oid, o -> new ArrayList<>(2));
    for (LoadResult have : rs) {
      if (have.start().equals(r.start())) {
        return;
      }
    }
    rs.add(r);
    bytes += r.data().length() + 64;
    evict();
  }

  /** Closes the open revision of each oid at {@code tid}. Runs on the event loop. */
  synchronized void invalidate(Tid tid, List<Oid> oids) {
    for (Oid oid : oids) {
      List<LoadResult> rs = revisions.get(oid);
      if (rs == null) {
        continue;
      }
      for (int i = 0; i < rs.size(); i++) {
        LoadResult r = rs.get(i);
        if (r.end() == null && r.start().compareTo(tid) < 0) {
          rs.set(i, new LoadResult(r.data(), r.start(), tid));
        }
      }
    }
  }

  /** Forgets everything (the server could not tell what changed). */
  synchronized void clear() {
    revisions.clear();
    bytes = 0;
  }

  /** The number of revisions held, for tests and statistics. */
  synchronized int size() {
    return revisions.values().stream().mapToInt(List::size).sum();
  }

  private void evict() {
    Iterator<Map.Entry<Oid, List<LoadResult>>> it = revisions.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      for (LoadResult r : it.next().getValue()) {
        bytes -= r.data().length() + 64;
      }
      it.remove();
    }
  }
}
