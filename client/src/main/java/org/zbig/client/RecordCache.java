package org.zbig.client;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * The records a database has loaded, shared by its connections whatever their snapshots: each
 * revision is kept with the range of tids it is valid for, {@code [start, end)}, an open end
 * meaning "current as far as the invalidations received tell". Loads and invalidations are applied
 * on the ZEO connection's event loop in the order the server sent them, so an open end is never
 * stale for a snapshot the database has reached. Bounded by bytes, least recently used first out.
 *
 * <p>A record decoded from a reply is a view into the reply's frame, not a copy. Where one reply
 * carries many records ({@link #loadedTogether}: a ZBlk1 block's chunk table and its 512 chunks in
 * one 2 MiB frame), a record kept here keeps the whole frame alive: so the frame counts once,
 * whole, for as long as any of its records is kept, and records that are a small part of their
 * frame are copied out instead. Counting each record's own length had let the last few records of a
 * reply hold on to a frame the budget no longer saw.
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

  /** The records of one reply that share its frame: counted once, while {@code kept} > 0. */
  private static final class Frame {
    final long bytes;
    int kept;

    Frame(long bytes) {
      this.bytes = bytes;
    }
  }

  /** The frame each record kept from a reply of many is a view into. */
  private final IdentityHashMap<LoadResult, Frame> frames = new IdentityHashMap<>();

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
    if (keep(oid, r)) {
      bytes += r.data().length() + 64;
      evict();
    }
  }

  /**
   * Keeps the revisions one reply returned, views into its frame ({@code oids.get(i)}'s is {@code
   * results.get(i)}). If those kept are most of the frame, the frame counts once, whole, until the
   * last of them goes; else they are copied out of it and count their own lengths. Runs on the
   * event loop.
   */
  synchronized void loadedTogether(List<Oid> oids, List<LoadResult> results) {
    long frameBytes = 0;
    long keptBytes = 0;
    for (LoadResult r : results) {
      frameBytes += r.data().length();
      if (r.data().length() < MAX_RECORD) {
        keptBytes += r.data().length();
      }
    }
    boolean share = keptBytes * 2 >= frameBytes;
    Frame frame = new Frame(frameBytes);
    for (int i = 0; i < oids.size(); i++) {
      LoadResult r = results.get(i);
      if (share) {
        if (keep(oids.get(i), r)) {
          frame.kept++;
          frames.put(r, frame);
          bytes += 64;
        }
      } else if (r.data().length() < MAX_RECORD) {
        LoadResult copy = new LoadResult(Bytes.wrap(r.data().toByteArray()), r.start(), r.end());
        if (keep(oids.get(i), copy)) {
          bytes += copy.data().length() + 64;
        }
      }
    }
    if (frame.kept > 0) {
      bytes += frame.bytes;
    }
    evict();
  }

  /** Adds {@code r} to {@code oid}'s revisions unless it is too big or there already. */
  private boolean keep(Oid oid, LoadResult r) {
    if (r.data().length() >= MAX_RECORD) {
      return false;
    }
    List<LoadResult> rs = revisions.computeIfAbsent(oid, o -> new ArrayList<>(2));
    for (LoadResult have : rs) {
      if (have.start().equals(r.start())) {
        return false;
      }
    }
    rs.add(r);
    return true;
  }

  /** Takes back what {@code r} counted. */
  private void release(LoadResult r) {
    Frame frame = frames.remove(r);
    if (frame == null) {
      bytes -= r.data().length() + 64;
      return;
    }
    bytes -= 64;
    if (--frame.kept == 0) {
      bytes -= frame.bytes;
    }
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
          LoadResult closed = new LoadResult(r.data(), r.start(), tid);
          rs.set(i, closed);
          Frame frame = frames.remove(r);
          if (frame != null) {
            frames.put(closed, frame);
          }
        }
      }
    }
  }

  /** Forgets everything (the server could not tell what changed). */
  synchronized void clear() {
    revisions.clear();
    frames.clear();
    bytes = 0;
  }

  /** The bytes counted against the budget, for tests and statistics. */
  synchronized long bytes() {
    return bytes;
  }

  /** The number of revisions held, for tests and statistics. */
  synchronized int size() {
    return revisions.values().stream().mapToInt(List::size).sum();
  }

  private void evict() {
    Iterator<Map.Entry<Oid, List<LoadResult>>> it = revisions.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      for (LoadResult r : it.next().getValue()) {
        release(r);
      }
      it.remove();
    }
  }
}
