package org.zbig.client.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Random;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.bigfile.ZBigFile;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.zblk.ZBlkFormat;

/**
 * wendelin.core's comparison of block formats, extended: the same workloads written with ZBlk0,
 * ZBlk1 and auto into a real server on RocksDB, reporting the database growth per transaction and
 * the time to read a block back in a fresh connection (median of 21), with ZBlk0 as the baseline
 * (not run by CI):
 *
 * <ul>
 *   <li>{@code append}: 200 transactions each appending 512 bytes to a file of 2 MiB blocks;
 *   <li>{@code change}: an 8 MiB file, then 200 transactions each changing 8 random bytes.
 * </ul>
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -Pbench -pl client test-compile exec:exec -Dbench.main=org.zbig.client.bench.ZBlkFormatBenchmark
 * </pre>
 */
public final class ZBlkFormatBenchmark {
  private static final long BLOCK = 2 << 20;
  private static final int TXNS = 200;

  private ZBlkFormatBenchmark() {}

  private record Result(double bytesPerTxn, long dbBytes, double readMillis) {}

  /** Runs both workloads for each format and prints a table. */
  public static void main(String[] args) throws Exception {
    System.out.printf(
        "%-8s %-7s %16s %14s %16s %12s%n",
        "workload", "format", "bytes/txn", "DB size", "read block (ms)", "vs ZBlk0");
    for (String workload : new String[] {"append", "change"}) {
      Result base = null;
      for (ZBlkFormat f : ZBlkFormat.values()) {
        Result r = run(workload, f);
        if (base == null) {
          base = r;
        }
        System.out.printf(
            "%-8s %-7s %16.0f %14d %16.2f %6.3f/%.2f%n",
            workload,
            f.text(),
            r.bytesPerTxn,
            r.dbBytes,
            r.readMillis,
            r.bytesPerTxn / base.bytesPerTxn,
            r.readMillis / base.readMillis);
      }
    }
    System.out.println("vs ZBlk0: growth per transaction / read time, each divided by ZBlk0's");
  }

  private static long size(Database db) {
    return ((Number) db.zeo().info().get("size")).longValue();
  }

  private static Result run(String workload, ZBlkFormat format) throws Exception {
    Path dir = Files.createTempDirectory("zbig-zblk-bench");
    ServerConfig m = ServerConfig.inMemory();
    try (ZeoServer server =
            ZeoServer.start(
                new ServerConfig(
                    m.host(),
                    0,
                    dir.resolve("data"),
                    "1",
                    m.offer(),
                    false,
                    100,
                    null,
                    true,
                    m.maxFrame()));
        Database db =
            Database.open(
                server.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)),
                256 << 20);
        VirtMem vm = new VirtMem(BLOCK, 256L << 20, 0)) {
      Random r = new Random(1);
      long before;
      try (Connection c = db.open()) {
        ZBigFile f = new ZBigFile(BLOCK);
        f.setFormat(format);
        c.root().put("f", f);
        c.commit();
        FileHandle h = f.open(vm);
        if (workload.equals("change")) {
          try (Mapping map = h.map(0, 4, true)) {
            for (long i = 0; i < 4 * BLOCK; i += 8) {
              map.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
            }
          }
          c.commit();
        }
        before = size(db);
        long end = 0;
        for (int t = 0; t < TXNS; t++) {
          if (workload.equals("append")) {
            long blk = end / BLOCK;
            try (Mapping map = h.map(blk, 2, true)) {
              MemorySegment s = map.segment();
              for (int i = 0; i < 512; i++) {
                s.set(ValueLayout.JAVA_BYTE, end - blk * BLOCK + i, (byte) (1 + r.nextInt(255)));
              }
            }
            end += 512;
          } else {
            long blk = r.nextInt(4);
            try (Mapping map = h.map(blk, 1, true)) {
              for (int i = 0; i < 8; i++) {
                map.segment()
                    .set(ValueLayout.JAVA_BYTE, r.nextInt((int) BLOCK), (byte) r.nextInt());
              }
            }
          }
          c.commit();
        }
      }
      long grown = size(db) - before;
      // read a block back in a fresh connection (nothing of it cached), the median of 21 reads
      // after 10 unmeasured ones (the JIT's warm-up: the first reads of a ZBlk1 block take 5x as
      // long); only the map is timed, its page slot reused from the previous read (evicted,
      // memory kept)
      double[] reads = new double[31];
      try (VirtMem cold = new VirtMem(BLOCK, 16L << 20, 0);
          Database fresh =
              Database.open(
                  server.address(),
                  ClientOptions.defaults()
                      .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)),
                  1 << 20)) {
        for (int i = 0; i < reads.length; i++) {
          fresh.clearCache();
          try (Connection c = fresh.open()) {
            ZBigFile f = c.root().get("f", ZBigFile.class);
            FileHandle fh = f.open(cold);
            long t0 = System.nanoTime();
            try (Mapping map = fh.map(0, 1, false)) {
              map.segment().get(ValueLayout.JAVA_BYTE, 0);
            }
            reads[i] = (System.nanoTime() - t0) / 1e6;
            if (System.getenv("ZBLK_BENCH_READS") != null) {
              System.out.println(workload + " " + format.text() + " read " + i + ": " + reads[i]);
            }
            cold.reclaim(Long.MAX_VALUE);
            fh.close();
          }
        }
      }
      reads = java.util.Arrays.copyOfRange(reads, 10, reads.length);
      java.util.Arrays.sort(reads);
      double readMillis = reads[reads.length / 2];
      return new Result((double) grown / TXNS, size(db), readMillis);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
