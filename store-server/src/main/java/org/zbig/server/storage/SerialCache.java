package org.zbig.server.storage;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.zbig.zodb.Oid;

/**
 * The current serials of recently written or checked objects, so that a vote's serial check and a
 * commit's count of new objects need no storage seek for them: a fixed table of slots, each holding
 * one object's newest tid, an object's slot chosen by its oid (a newer object in the same slot
 * replaces it).
 *
 * <p>Never stale, by two rules. A writer of revisions ({@link #wrote}, {@link #clear}) updates the
 * table after its write is visible to readers. A reader that missed caches what it then read only
 * if the slot still holds what it saw before reading ({@link #slot} then {@link #learn}, a
 * compare-and-set on the entry's identity): a write that landed meanwhile replaced the entry, so
 * the reader's possibly older answer is dropped. Every write puts a new entry object, so an entry
 * seen earlier never comes back.
 *
 * <p>Absent objects are not cached: a miss always reads the storage.
 */
final class SerialCache {
  /** One slot's content: {@code oid}'s current tid, or no object ({@link #NONE}). */
  record Entry(long oid, long tid) {
    /** Whether this entry is {@code oid}'s current serial (an empty slot is no object's). */
    boolean holds(Oid oid) {
      return this.oid == oid.value() && tid != NONE;
    }
  }

  /** No oid and no tid: tid 0xffffffffffffffff is never a commit's (it means "no limit"). */
  private static final long NONE = -1;

  private final AtomicReferenceArray<Entry> slots;
  private final int mask;

  /**
   * @param size the number of slots, a power of two
   */
  SerialCache(int size) {
    if (size <= 0 || Integer.bitCount(size) != 1) {
      throw new IllegalArgumentException(
          "serial cache size: " + size + " (expected: a power of 2)");
    }
    this.slots = new AtomicReferenceArray<>(size);
    this.mask = size - 1;
    clear();
  }

  private int index(long oid) {
    long h = oid * 0x9E3779B97F4A7C15L; // Fibonacci hashing: consecutive oids spread out
    return (int) (h >>> 32) & mask;
  }

  /**
   * What {@code oid}'s slot holds now: its current tid if the entry {@link Entry#holds} it; else
   * hand it to {@link #learn} after reading the storage.
   */
  Entry slot(Oid oid) {
    return slots.get(index(oid.value()));
  }

  /**
   * Caches {@code tid} as {@code oid}'s current serial, read from the storage after {@code seen}
   * was taken from its slot; nothing if a write replaced the slot's entry meanwhile.
   */
  void learn(Oid oid, Entry seen, long tid) {
    slots.compareAndSet(index(oid.value()), seen, new Entry(oid.value(), tid));
  }

  /** Records that {@code tid} is now {@code oid}'s current revision; called once it is readable. */
  void wrote(Oid oid, long tid) {
    slots.set(index(oid.value()), new Entry(oid.value(), tid));
  }

  /** Forgets everything; called after revisions were removed (a pack), once that is readable. */
  void clear() {
    for (int i = 0; i < slots.length(); i++) {
      slots.set(i, new Entry(NONE, NONE)); // a new object each: see the class comment
    }
  }
}
