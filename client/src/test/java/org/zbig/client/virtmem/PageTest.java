package org.zbig.client.virtmem;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The checksum that decides whether a page written through a mapping changed. */
class PageTest {
  private static final int SIZE = 2 << 20;

  private static MemorySegment page(Arena arena, long seed) {
    MemorySegment page = arena.allocate(SIZE, 4096);
    Random random = new Random(seed);
    for (long at = 0; at < SIZE; at += 8) {
      page.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
    }
    return page;
  }

  @Test
  void equalBytesInTwoSlotsGiveEqualChecksums() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment a = page(arena, 1);
      MemorySegment b = arena.allocate(SIZE, 4096).copyFrom(a);
      assertThat(Page.checksum(b)).isEqualTo(Page.checksum(a));
      assertThat(Page.checksum(page(arena, 2))).isNotEqualTo(Page.checksum(a));
    }
  }

  @Test
  void everyChangedBitAndSwappedWordChangesTheChecksum() {
    long seed = Long.getLong("zbig.seed", System.nanoTime()); // -Dzbig.seed=N replays a run
    System.out.println("everyChangedBitAndSwappedWordChangesTheChecksum: seed " + seed);
    Random random = new Random(seed);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment page = page(arena, seed);
      long original = Page.checksum(page);
      Set<Long> seen = new HashSet<>();
      seen.add(original);
      long[] bits = new long[200];
      bits[0] = 0; // the first byte's lowest bit and the last byte's highest
      bits[1] = SIZE * 8L - 1;
      for (int i = 2; i < bits.length; i++) {
        bits[i] = random.nextLong(SIZE * 8L);
      }
      for (long bit : bits) {
        long at = bit / 8;
        byte was = page.get(ValueLayout.JAVA_BYTE, at);
        page.set(ValueLayout.JAVA_BYTE, at, (byte) (was ^ 1 << (bit % 8)));
        assertThat(seen.add(Page.checksum(page))).as("bit %d flipped, seed %d", bit, seed).isTrue();
        page.set(ValueLayout.JAVA_BYTE, at, was);
      }
      for (int i = 0; i < 50; i++) { // words moved, not changed: a sum of the words would miss it
        long a = random.nextLong(SIZE / 8) * 8;
        long b = random.nextLong(SIZE / 8) * 8;
        long wordA = page.get(ValueLayout.JAVA_LONG_UNALIGNED, a);
        long wordB = page.get(ValueLayout.JAVA_LONG_UNALIGNED, b);
        if (wordA == wordB) {
          continue;
        }
        page.set(ValueLayout.JAVA_LONG_UNALIGNED, a, wordB);
        page.set(ValueLayout.JAVA_LONG_UNALIGNED, b, wordA);
        assertThat(Page.checksum(page))
            .as("words at %d and %d swapped, seed %d", a, b, seed)
            .isNotEqualTo(original);
        page.set(ValueLayout.JAVA_LONG_UNALIGNED, a, wordA);
        page.set(ValueLayout.JAVA_LONG_UNALIGNED, b, wordB);
      }
      assertThat(Page.checksum(page)).isEqualTo(original);
    }
  }

  @Test
  void aPageOfZerosDiffersFromOneByteSetAndFromAShorterPage() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment zeros = arena.allocate(SIZE, 4096);
      MemorySegment one = arena.allocate(SIZE, 4096);
      one.set(ValueLayout.JAVA_BYTE, SIZE / 2, (byte) 1);
      MemorySegment shorter = zeros.asSlice(0, SIZE - 4096);
      assertThat(Page.checksum(one)).isNotEqualTo(Page.checksum(zeros));
      assertThat(Page.checksum(shorter)).isNotEqualTo(Page.checksum(zeros));
    }
  }
}
