package org.zbig.client.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.bigfile.ZBigFile;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.server.storage.KvStorage;
import org.zbig.wire.Pack;
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
 * ./mvnw -q -Pbench -pl client test-compile exec:exec -Dbench.main=org.zbig.client.bench.ZBlkFormatBenchmark \
 *   [-Dbench=WORKLOAD:FORMAT:READS]
 * </pre>
 *
 * <p>{@code -Dbench=change:ZBlk1:500} runs one workload with one format and times 500 reads (for a
 * profile of the read path).
 */
public final class ZBlkFormatBenchmark {
  private static final long BLOCK = 2 << 20;
  private static final int TXNS = 200;
  private static final int WARM_UP = 400;
  private static int measuredReads = 21;

  private ZBlkFormatBenchmark() {}

  private record Result(double bytesPerTxn, long dbBytes, double readMillis, long packedBytes) {}

  /** A block format, with the server's dedup on or off. */
  private record Variant(ZBlkFormat format, boolean dedup) {
    String text() {
      return format.text() + (dedup ? "+dedup" : "");
    }
  }

  /** Runs both workloads for each format and prints a table. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].contains(":")) {
      String[] p = args[0].split(":", -1);
      if (p.length != 3 || !(p[0].equals("append") || p[0].equals("change"))) {
        throw new IllegalArgumentException(
            "-Dbench=" + args[0] + ": expected WORKLOAD:FORMAT:READS, WORKLOAD append or change");
      }
      measuredReads = Integer.parseInt(p[2]);
      Result r = run(p[0], new Variant(ZBlkFormat.parse(p[1]), false));
      System.out.printf(
          "%s %s: read a block %.2f ms (median of %d)%n", p[0], p[1], r.readMillis, measuredReads);
      return;
    }
    System.out.printf(
        "%-8s %-12s %12s %14s %14s %10s %22s %10s%n",
        "workload",
        "format",
        "bytes/txn",
        "DB stored",
        "after pack",
        "read (ms)",
        "vs ZBlk0 (growth/read)",
        "vs ZBlk1");
    List<Variant> variants =
        List.of(
            new Variant(ZBlkFormat.ZBLK0, false),
            new Variant(ZBlkFormat.ZBLK1, false),
            new Variant(ZBlkFormat.AUTO, false),
            new Variant(ZBlkFormat.ZBLK0, true));
    for (String workload : new String[] {"append", "change"}) {
      Map<Variant, Result> results = new LinkedHashMap<>();
      for (Variant v : variants) {
        results.put(v, run(workload, v));
      }
      Result base = results.get(variants.get(0));
      Result zblk1 = results.get(variants.get(1));
      results.forEach((v, r) ->
          System.out.printf(
              "%-8s %-12s %12.0f %14d %14d %10.2f %13.3f/%.2f %6.2f/%.2f%n",
              workload,
              v.text(),
              r.bytesPerTxn,
              r.dbBytes,
              r.packedBytes,
              r.readMillis,
              r.bytesPerTxn / base.bytesPerTxn,
              r.readMillis / base.readMillis,
              r.bytesPerTxn / zblk1.bytesPerTxn,
              (double) r.packedBytes / zblk1.packedBytes));
    }
    System.out.println(
        "stored: bytes the storage holds for its records (deduplicated chunks once);"
            + " vs ZBlk0: growth per transaction / read time, each divided by ZBlk0's without"
            + " dedup; vs ZBlk1: growth per transaction / stored bytes after a pack, each"
            + " divided by ZBlk1's");
  }

  /** The bytes the storage holds for its records (chunks counted once). */
  private static long size(ZeoServer server) {
    return ((Number) server.status().get("1").get("stored-bytes")).longValue();
  }

  private static Result run(String workload, Variant variant) throws Exception {
    ZBlkFormat format = variant.format();
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
                    m.maxFrame()),
                Limits.defaults(),
                null,
                List.of(),
                KvStorage.rocks(dir.resolve("data")).dedup(variant.dedup()));
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
        before = size(server);
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
      long grown = size(server) - before;
      // read a block back in a fresh connection (nothing of it cached), the median of 21 reads
      // after 400 unmeasured ones (the JIT's warm-up: the first reads of a ZBlk1 block take 3x as
      // long as the 400th, and the compiler threads take one of the 2 cores until then); only the
      // map is timed, its page slot reused from the previous read (evicted,
      // memory kept)
      double[] reads = new double[WARM_UP + measuredReads];
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
      reads = java.util.Arrays.copyOfRange(reads, WARM_UP, reads.length);
      java.util.Arrays.sort(reads);
      double readMillis = reads[reads.length / 2];
      long stored = size(server);
      db.zeo().invoke(id -> new Pack(id, System.currentTimeMillis() / 1000.0 + 60, true));
      return new Result((double) grown / TXNS, stored, readMillis, size(server));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
