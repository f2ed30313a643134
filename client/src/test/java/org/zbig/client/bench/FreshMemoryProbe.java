package org.zbig.client.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * What memory costs on this machine, the figures behind virtmem's choices: copying 2 MiB blocks
 * into a shared tmpfs mapping (the kind virtmem's page slots are) the first time and again, into
 * anonymous memory and into the heap, and the first read of a new mapping of pages already in RAM
 * (what a new view pays), each over 512 MiB, five rounds.
 *
 * <pre>
 * ./mvnw -q -Pbench -pl client test-compile exec:exec -Dbench.main=org.zbig.client.bench.FreshMemoryProbe
 * </pre>
 */
public final class FreshMemoryProbe {
  private static final long BLOCK = 2 << 20;
  private static final long TOTAL = 512L << 20;

  private FreshMemoryProbe() {}

  public static void main(String[] args) throws Exception {
    int n = (int) (TOTAL / BLOCK);
    byte[] src = new byte[(int) BLOCK];
    new Random(1).nextBytes(src);
    MemorySegment from = MemorySegment.ofArray(src);
    Path p = Files.createTempFile(Path.of("/dev/shm"), "zbig-probe", null);
    try (FileChannel fc = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Arena arena = Arena.ofShared()) {
      fc.truncate(TOTAL);
      MemorySegment shared = fc.map(FileChannel.MapMode.READ_WRITE, 0, TOTAL, arena);
      MemorySegment anon = arena.allocate(TOTAL, 4096);
      byte[][] heap = new byte[n][(int) BLOCK];
      for (int round = 0; round < 5; round++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          MemorySegment.copy(from, 0, shared, i * BLOCK, BLOCK);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          MemorySegment.copy(from, 0, anon, i * BLOCK, BLOCK);
        }
        long t2 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          System.arraycopy(src, 0, heap[i], 0, (int) BLOCK);
        }
        long t3 = System.nanoTime();
        long sum = 0;
        try (Arena viewArena = Arena.ofConfined()) {
          MemorySegment view = fc.map(FileChannel.MapMode.READ_ONLY, 0, TOTAL, viewArena);
          for (long off = 0; off < TOTAL; off += 4096) {
            sum += view.get(ValueLayout.JAVA_BYTE, off);
          }
        }
        long t4 = System.nanoTime();
        System.out.printf(
            "round %d (%s): into tmpfs mapping %.0f MB/s, anonymous %.0f MB/s, heap %.0f MB/s;"
                + " first read of a new mapping %.0f MB/s (%d)%n",
            round,
            round == 0 ? "fresh tmpfs pages" : "tmpfs pages reused",
            mbs(t1 - t0),
            mbs(t2 - t1),
            mbs(t3 - t2),
            mbs(t4 - t3),
            sum);
      }
    } finally {
      Files.deleteIfExists(p);
    }
  }

  private static double mbs(long nanos) {
    return TOTAL / 1e6 / (nanos / 1e9);
  }
}
