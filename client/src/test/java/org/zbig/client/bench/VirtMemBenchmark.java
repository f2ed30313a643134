package org.zbig.client.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.zbig.client.virtmem.BigFile;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;
import org.zbig.client.virtmem.VirtMem;

/**
 * Maps a 1 GiB range of an in-memory {@link BigFile} (2 MiB blocks, fresh RAM from the kernel each
 * round) and reads it sequentially, against copying the same bytes with {@code MemorySegment.copy}
 * and reading the copy, measured in the same run; and maps and reads the same range with its pages
 * already in RAM (loaded in an earlier round), against reading the copy (not run by CI):
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -Pbench -pl client test-compile exec:exec -Dbench.main=org.zbig.client.bench.VirtMemBenchmark
 * </pre>
 */
public final class VirtMemBenchmark {
  private static final long BLOCK = 2 << 20;
  private static final long SIZE = 1L << 30;

  private VirtMemBenchmark() {}

  private static long sum(MemorySegment s) {
    long acc = 0;
    long n = s.byteSize() / 8;
    for (long i = 0; i < n; i++) {
      acc += s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
    }
    return acc;
  }

  /** Runs the comparison five times and prints each and the best ratio. */
  public static void main(String[] args) {
    try (Arena arena = Arena.ofShared()) {
      MemorySegment source = arena.allocate(SIZE, 64);
      for (long i = 0; i < SIZE / 8; i++) {
        source.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L);
      }
      MemorySegment copy = arena.allocate(SIZE, 64);
      BigFile file =
          new BigFile() {
            @Override
            public long blockSize() {
              return BLOCK;
            }

            @Override
            public void loadBlock(long blk, MemorySegment page) {
              MemorySegment.copy(source, blk * BLOCK, page, 0, BLOCK);
            }

            @Override
            public void storeBlock(long blk, MemorySegment page) {}
          };
      double best = Double.MAX_VALUE;
      double bestWarm = Double.MAX_VALUE;
      VirtMem warm = new VirtMem(BLOCK, SIZE + BLOCK, 0);
      FileHandle warmFile = warm.open(file);
      warmFile.map(0, SIZE / BLOCK, false).close(); // loaded once: in RAM from now on
      System.out.printf(
          "%-8s %14s %14s %8s %16s %14s %8s%n",
          "round",
          "virtmem (ms)",
          "memcpy (ms)",
          "ratio",
          "in RAM: map+read",
          "read copy",
          "ratio");
      for (int round = 1; round <= 5; round++) {
        long t0 = System.nanoTime();
        MemorySegment.copy(source, 0, copy, 0, SIZE);
        long expected = sum(copy);
        long baseline = System.nanoTime() - t0;
        long t1 = System.nanoTime();
        long got;
        try (VirtMem vm = new VirtMem(BLOCK, SIZE + BLOCK, 0);
            FileHandle h = vm.open(file);
            Mapping m = h.map(0, SIZE / BLOCK, false)) {
          got = sum(m.segment());
        }
        long ours = System.nanoTime() - t1;
        if (got != expected) {
          throw new AssertionError("sums differ: " + got + " != " + expected);
        }
        double ratio = (double) ours / baseline;
        best = Math.min(best, ratio);
        long t2 = System.nanoTime();
        long again;
        long mapNs;
        try (Mapping m = warmFile.map(0, SIZE / BLOCK, false)) {
          mapNs = System.nanoTime() - t2;
          again = sum(m.segment());
        }
        System.out.printf("  (of which map %.1f ms)%n", mapNs / 1e6);
        long warmNs = System.nanoTime() - t2;
        long t3 = System.nanoTime();
        long plain = sum(copy);
        long plainNs = System.nanoTime() - t3;
        if (again != expected || plain != expected) {
          throw new AssertionError("sums differ: " + again + ", " + plain + " != " + expected);
        }
        double warmRatio = (double) warmNs / plainNs;
        bestWarm = Math.min(bestWarm, warmRatio);
        System.out.printf(
            "%-8d %14.1f %14.1f %8.2f %16.1f %14.1f %8.2f%n",
            round, ours / 1e6, baseline / 1e6, ratio, warmNs / 1e6, plainNs / 1e6, warmRatio);
      }
      warm.close();
      System.out.printf(
          "best: mapping 1 GiB and reading it takes %.2fx a copy and read of the same bytes;"
              + " with its pages in RAM, %.2fx a read of the copy (%.0f%% of its bandwidth)%n",
          best, bestWarm, 100 / bestWarm);
    }
  }
}
