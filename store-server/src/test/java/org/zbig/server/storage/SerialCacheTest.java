package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;

class SerialCacheTest {
  private static final Oid A = new Oid(7);

  private static long cached(SerialCache c, Oid oid) {
    SerialCache.Entry e = c.slot(oid);
    return e.holds(oid) ? e.tid() : -1;
  }

  @Test
  void aReadIsCachedWhenNothingWroteMeanwhile() {
    SerialCache c = new SerialCache(16);
    assertThat(cached(c, A)).isEqualTo(-1);
    SerialCache.Entry seen = c.slot(A);
    c.learn(A, seen, 100);
    assertThat(cached(c, A)).isEqualTo(100);
  }

  @Test
  void aReadOverlappingAWriteIsDropped() {
    // the order the race takes: the reader looks at the slot, reads the storage before a commit
    // lands, the commit lands and records its tid, then the reader offers what it read
    SerialCache c = new SerialCache(16);
    SerialCache.Entry seen = c.slot(A);
    c.wrote(A, 200);
    c.learn(A, seen, 100);
    assertThat(cached(c, A)).isEqualTo(200);
  }

  @Test
  void aReadOverlappingAClearIsDropped() {
    SerialCache c = new SerialCache(16);
    c.wrote(A, 100);
    SerialCache.Entry seen = c.slot(A);
    c.clear();
    c.learn(A, seen, 100);
    assertThat(cached(c, A)).isEqualTo(-1);
  }

  @Test
  void aReadOverlappingAWriteToAnotherObjectOfTheSlotIsDropped() {
    SerialCache c = new SerialCache(1); // every object shares the one slot
    Oid b = new Oid(8);
    SerialCache.Entry seen = c.slot(A);
    c.wrote(b, 300);
    c.learn(A, seen, 100);
    assertThat(cached(c, A)).isEqualTo(-1);
    assertThat(cached(c, b)).isEqualTo(300);
    c.wrote(A, 400); // a write always takes the slot
    assertThat(cached(c, A)).isEqualTo(400);
    assertThat(cached(c, b)).isEqualTo(-1);
  }

  @Test
  void consecutiveOidsUseDifferentSlots() {
    SerialCache c = new SerialCache(1 << 10);
    for (long o = 1; o <= 512; o++) {
      c.wrote(new Oid(o), o * 10);
    }
    long kept = 0;
    for (long o = 1; o <= 512; o++) {
      kept += cached(c, new Oid(o)) == o * 10 ? 1 : 0;
    }
    assertThat(kept).as("of 512 consecutive oids in 1024 slots").isGreaterThan(400);
  }

  @Test
  void anEmptySlotHoldsNoObjectNotEvenTheLastOid() {
    SerialCache c = new SerialCache(1);
    Oid last = new Oid(-1); // 0xffffffffffffffff, the empty entry's own oid field
    assertThat(c.slot(last).holds(last)).isFalse();
    c.wrote(last, 5);
    assertThat(c.slot(last).holds(last)).isTrue();
    c.clear();
    assertThat(c.slot(last).holds(last)).isFalse();
  }

  @Test
  void sizeMustBeAPowerOfTwo() {
    assertThatThrownBy(() -> new SerialCache(100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("serial cache size: 100 (expected: a power of 2)");
  }
}
