package org.zbig.server.storage;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * The current revisions of recently loaded objects, for a storage whose reads are round trips to a
 * database: an entry stays until a published commit changes its object ({@link #invalidate}), so it
 * answers {@code loadBefore} for any snapshot after its start. Least recently used entries go first
 * once the data exceed the budget; a record over a sixteenth of the budget is not kept.
 * Thread-safe.
 */
final class CurrentRecords {
  /** The current revision of an object: its tid and data. */
  record Entry(Tid start, Bytes data) {}

  private final long budget;
  private final LinkedHashMap<Oid, Entry> entries = new LinkedHashMap<>(1024, 0.75f, true);
  private long size;
  private long hits;
  private long misses;

  /** A cache of at most {@code budget} bytes of data; 0 turns it off. */
  CurrentRecords(long budget) {
    this.budget = budget;
  }

  /** The current revision of {@code oid}, if cached. */
  synchronized Entry get(Oid oid) {
    Entry e = entries.get(oid);
    if (e == null) {
      misses++;
    } else {
      hits++;
    }
    return e;
  }

  /**
   * Keeps {@code e} as the current revision of {@code oid} if {@code stillCurrent} holds when
   * checked under this cache's lock: nothing published since the load began (the check and every
   * {@link #invalidate} are atomic with respect to each other).
   */
  synchronized void put(Oid oid, Entry e, BooleanSupplier stillCurrent) {
    if (e.data().length() > budget / 16 || !stillCurrent.getAsBoolean()) {
      return;
    }
    Entry old = entries.put(oid, e);
    size += e.data().length() - (old == null ? 0 : old.data().length());
    Iterator<Map.Entry<Oid, Entry>> it = entries.entrySet().iterator();
    while (size > budget && it.hasNext()) {
      size -= it.next().getValue().data().length();
      it.remove();
    }
  }

  /** Forgets the objects a just published commit changed. */
  synchronized void invalidate(Collection<Oid> oids) {
    for (Oid oid : oids) {
      Entry old = entries.remove(oid);
      if (old != null) {
        size -= old.data().length();
      }
    }
  }

  /** Forgets everything (after a pack). */
  synchronized void clear() {
    entries.clear();
    size = 0;
  }

  /** Entries, bytes, hits and misses so far. */
  synchronized long[] stats() {
    return new long[] {entries.size(), size, hits, misses};
  }
}
