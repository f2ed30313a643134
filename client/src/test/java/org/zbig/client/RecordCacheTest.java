package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * What the record cache counts against its budget for the records of one reply, which are views
 * into the reply's frame: the frame once, whole, while any of them is kept; or, where they are a
 * small part of it, copies of their own.
 */
class RecordCacheTest {
  private static final Tid START = new Tid(10);
  private static final Tid LATER = new Tid(20);

  /**
   * {@code n} records of {@code size} bytes each, views into one frame, oids from {@code first}.
   */
  private static List<LoadResult> frame(byte[] frame, int n, int size) {
    MemorySegment all = MemorySegment.ofArray(frame);
    return java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> new LoadResult(Bytes.view(all.asSlice((long) i * size, size)), START, null))
        .toList();
  }

  private static List<Oid> oids(long first, int n) {
    return java.util.stream.LongStream.range(first, first + n).mapToObj(Oid::new).toList();
  }

  @Test
  void aFrameCountsWholeUntilTheLastOfItsRecordsGoes() {
    int size = 100_000;
    RecordCache cache = new RecordCache(5L * size + 6 * 64);
    cache.loadedTogether(oids(1, 3), frame(new byte[3 * size], 3, size));
    assertThat(cache.bytes()).isEqualTo(3L * size + 3 * 64);
    assertThat(cache.lookup(new Oid(1), START)).isNotNull(); // oid 1 used last of its frame
    cache.loadedTogether(oids(4, 3), frame(new byte[3 * size], 3, size));
    // the first frame's records went, least recently used first; while oid 1 stayed, it kept the
    // whole first frame, which the budget has no room for next to the second
    assertThat(cache.lookup(new Oid(1), START)).isNull();
    assertThat(cache.lookup(new Oid(2), START)).isNull();
    assertThat(cache.lookup(new Oid(3), START)).isNull();
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.bytes()).isEqualTo(3L * size + 3 * 64);
  }

  @Test
  void smallRecordsOfAMostlyUncachedFrameAreCopiedOut() {
    byte[] frame = new byte[RecordCache.MAX_RECORD + 1000];
    for (int i = 0; i < frame.length; i++) {
      frame[i] = (byte) (i * 31);
    }
    MemorySegment all = MemorySegment.ofArray(frame);
    LoadResult big =
        new LoadResult(Bytes.view(all.asSlice(0, RecordCache.MAX_RECORD)), START, null);
    LoadResult small =
        new LoadResult(Bytes.view(all.asSlice(RecordCache.MAX_RECORD, 1000)), START, null);
    RecordCache cache = new RecordCache(1 << 20);
    cache.loadedTogether(List.of(new Oid(1), new Oid(2)), List.of(big, small));
    assertThat(cache.lookup(new Oid(1), START)).as("too big to keep").isNull();
    LoadResult kept = cache.lookup(new Oid(2), START);
    assertThat(kept.data()).isEqualTo(small.data());
    assertThat(kept.data().segment().asOverlappingSlice(all)).as("a copy").isEmpty();
    assertThat(cache.bytes()).isEqualTo(1000 + 64);
  }

  @Test
  void aClosedRevisionStillCountsInItsFrame() {
    int size = 100_000;
    RecordCache cache = new RecordCache(3L * size + 6 * 64);
    cache.loadedTogether(oids(1, 2), frame(new byte[2 * size], 2, size));
    cache.invalidate(LATER, List.of(new Oid(1))); // oid 1's revision now ends at LATER
    assertThat(cache.lookup(new Oid(1), START).end()).isEqualTo(LATER);
    assertThat(cache.bytes()).isEqualTo(2L * size + 2 * 64);
    cache.loadedTogether(oids(3, 2), frame(new byte[2 * size], 2, size)); // the first frame goes
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.bytes()).isEqualTo(2L * size + 2 * 64);
    cache.clear();
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void singleLoadsCountTheirOwnLength() {
    RecordCache cache = new RecordCache(1 << 20);
    cache.loaded(new Oid(1), new LoadResult(Bytes.wrap(new byte[500]), START, null));
    cache.loaded(new Oid(1), new LoadResult(Bytes.wrap(new byte[500]), START, null)); // there
    assertThat(cache.bytes()).isEqualTo(500 + 64);
    cache.loaded(
        new Oid(2), new LoadResult(Bytes.wrap(new byte[RecordCache.MAX_RECORD]), START, null));
    assertThat(cache.size()).isEqualTo(1);
  }
}
