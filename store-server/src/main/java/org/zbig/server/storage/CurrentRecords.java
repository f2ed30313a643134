package org.zbig.server.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * The current revisions of recently loaded objects, for a storage whose reads are round trips to a
 * database: an entry stays until a published commit changes its object ({@link #invalidate}), so it
 * answers {@code loadBefore} for any snapshot after its start. A Caffeine cache weighted by the
 * records' bytes: once they exceed the budget, entries used least go first (its window TinyLFU
 * policy); a record over a sixteenth of the budget is not kept. Thread-safe: lookups take no lock;
 * {@link #put} and {@link #invalidate} share one, so a put that checked its load still current
 * cannot land after the invalidation that made it stale.
 */
final class CurrentRecords {
  /** The current revision of an object: its tid and data. */
  record Entry(Tid start, Bytes data) {}

  private final long budget;
  private final Cache<Oid, Entry> entries;
  private final Object writes = new Object();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  /** A cache of at most {@code budget} bytes of data; 0 turns it off. */
  CurrentRecords(long budget) {
    this.budget = budget;
    this.entries =
        Caffeine.newBuilder()
            .maximumWeight(budget)
            .weigher((Oid oid, Entry e) -> e.data().length())
            .executor(Runnable::run) // evict on the caller's thread: no pool to name or stop
            .build();
  }

  /** The current revision of {@code oid}, if cached. */
  Entry get(Oid oid) {
    Entry e = entries.getIfPresent(oid);
    (e == null ? misses : hits).increment();
    return e;
  }

  /**
   * Keeps {@code e} as the current revision of {@code oid} if {@code stillCurrent} holds when
   * checked under this cache's write lock: nothing published since the load began (the check and
   * every {@link #invalidate} are atomic with respect to each other).
   */
  void put(Oid oid, Entry e, BooleanSupplier stillCurrent) {
    if (e.data().length() > budget / 16) {
      return;
    }
    synchronized (writes) {
      if (stillCurrent.getAsBoolean()) {
        entries.put(oid, e);
      }
    }
  }

  /** Forgets the objects a just published commit changed. */
  void invalidate(Collection<Oid> oids) {
    synchronized (writes) {
      entries.invalidateAll(oids);
    }
  }

  /** Forgets everything (after a pack). */
  void clear() {
    synchronized (writes) {
      entries.invalidateAll();
    }
  }

  /** Entries, bytes, hits and misses so far. */
  long[] stats() {
    entries.cleanUp();
    long bytes = entries.policy().eviction().orElseThrow().weightedSize().orElse(0);
    return new long[] {entries.estimatedSize(), bytes, hits.sum(), misses.sum()};
  }
}
