package org.zbig.bigarray.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.NDArray;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.server.storage.DirectBuffers;
import org.zbig.zodb.Tid;

/**
 * A sequential sum over a float64 ZBigArray through views (64 MiB at a time, read from a real
 * server on RocksDB in a fresh connection), against reading the same bytes from a local file with
 * {@code FileChannel} in the same run; and element access through {@code NDArray.getDouble} against
 * a plain {@code double[]} (not run by CI). The size is 4 GiB, or a third of the free disk if less,
 * or the GiB given as {@code -Dbench=N} ({@code -Dbench=N@DIR} keeps the data in DIR for the next
 * run; {@code :fetch}, {@code :random} and {@code :faultin} after it run one part alone). Each of
 * the scan's rounds (three, or {@code -Dbench.rounds=N} through {@code JAVA_TOOL_OPTIONS}: later
 * rounds show the code compiled) first fetches the blocks' records alone, 32 in flight, into heap
 * arrays and then straight into native memory as pages get them: the wire's part of the scan,
 * without virtmem.
 *
 * <p>The array's values repeat every 1,000 elements by default, so that two scans' sums are exact
 * and comparable; such data compresses about 150-fold, which makes the server's reads small and its
 * decompression big. {@code -Dbench.data=random} (through {@code JAVA_TOOL_OPTIONS}) fills it with
 * pseudo-random doubles of full precision instead, which do not compress, as measured data mostly
 * does not; the scans' sums are then compared within a relative 1e-9. A kept DIR remembers its kind
 * of data and refuses the other:
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -Pbench -pl bigarray test-compile exec:exec -Dbench.main=org.zbig.bigarray.bench.BigArrayBenchmark
 * </pre>
 */
public final class BigArrayBenchmark {
  private static final long BLOCK = 2 << 20;
  private static final long PIECE = 64L << 20;

  private BigArrayBenchmark() {}

  /** Runs both comparisons and prints them. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("elements")) { // -Dbench=elements: only element access
      elementAccess();
      return;
    }
    if (args.length > 0 && args[0].equals("bulk")) { // -Dbench=bulk: only bulk operations
      bulkOperations();
      return;
    }
    // -Dbench=GIB[@DIR]: DIR keeps the filled database and the raw file between runs
    // -Dbench=GIB@DIR:fetch: only the records' fetch, ten rounds (for profiles of the wire path)
    // -Dbench=GIB@DIR:random: only random reads of single elements through one view of it all
    // -Dbench=GIB@DIR:faultin: only fault-ins of single blocks against a loopback fetch of 2 MiB
    String arg = args.length > 0 ? args[0] : "";
    String mode = "";
    java.util.regex.Matcher suffix = java.util.regex.Pattern.compile("(.*):([a-z]+)").matcher(arg);
    if (suffix.matches()) {
      arg = suffix.group(1);
      mode = suffix.group(2);
      if (!List.of("fetch", "random", "faultin").contains(mode)) {
        throw new IllegalArgumentException(
            "mode :" + mode + " (expected: :fetch, :random or :faultin, or none)");
      }
    }
    boolean fetchOnly = mode.equals("fetch");
    boolean randomOnly = mode.equals("random");
    boolean faultInOnly = mode.equals("faultin");
    String[] spec = arg.split("@", 2);
    boolean keep = spec.length == 2;
    Path dir =
        keep
            ? Files.createDirectories(Path.of(spec[1]))
            : Files.createTempDirectory("zbig-bigarray-bench");
    long free = Files.getFileStore(dir).getUsableSpace();
    long gib = spec[0].matches("[0-9]+") ? Long.parseLong(spec[0]) : 4;
    long bytes = Math.min(gib << 30, free / 3);
    bytes = bytes / BLOCK * BLOCK;
    long n = bytes / 8;
    try {
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
                  m.maxFrame()))) {
        Path raw = dir.resolve("raw.f8");
        Path kindFile = dir.resolve("data-kind");
        String kind = RANDOM ? "random" : "pattern";
        if (keep && Files.exists(raw)) {
          String held = Files.exists(kindFile) ? Files.readString(kindFile).strip() : "pattern";
          if (!held.equals(kind)) {
            throw new IllegalArgumentException(
                dir
                    + " holds data of kind "
                    + held
                    + " (-Dbench.data="
                    + kind
                    + " expects a folder of its own)");
          }
        }
        Files.writeString(kindFile, kind);
        if (!keep || !Files.exists(raw) || Files.size(raw) != n * 8) {
          fill(server, n);
          writeRaw(raw, n);
        }
        if (randomOnly) {
          randomReads(server, raw, n);
          return;
        }
        if (faultInOnly) {
          faultIn(server, n);
          return;
        }
        VirtMem keptVm = new VirtMem(BLOCK, 512L << 20, 8); // round 1 makes its RAM
        try {
          for (int round = 1;
              round <= (fetchOnly ? 10 : Integer.getInteger("bench.rounds", 3));
              round++) {
            long tr = System.nanoTime();
            long fetched = fetchBlocks(server, 32, false);
            long fetchNs = System.nanoTime() - tr;
            long ts = System.nanoTime();
            long steered = fetchBlocks(server, 32, true);
            long steeredNs = System.nanoTime() - ts;
            System.out.printf(
                "round %d: the blocks' records alone, 32 in flight on one connection: %.0f MB/s"
                    + " into heap arrays, %.0f MB/s into native memory (as into pages)%n",
                round, fetched / (fetchNs / 1e3), steered / (steeredNs / 1e3));
            if (fetchOnly) {
              continue;
            }
            long loads = serverLoads(server);
            long t0 = System.nanoTime();
            double ours = sumThroughViews(server);
            loads = serverLoads(server) - loads;
            long viewsNs = System.nanoTime() - t0;
            long t1 = System.nanoTime();
            double file = sumFile(raw);
            long fileNs = System.nanoTime() - t1;
            checkSum(ours, file);
            System.out.printf(
                "round %d: sum of %.2f GiB through views %.0f MB/s (%d loads from the server for %d"
                    + " blocks), FileChannel %.0f MB/s, ratio %.2f%n",
                round,
                bytes / (double) (1L << 30),
                bytes / (viewsNs / 1e3),
                loads,
                (bytes + BLOCK - 1) / BLOCK,
                bytes / (fileNs / 1e3),
                (double) viewsNs / fileNs);
            long tk = System.nanoTime();
            double kept = sumThroughViews(server, keptVm);
            long keptNs = System.nanoTime() - tk;
            checkSum(kept, file);
            System.out.printf(
                "round %d: the same in a virtmem kept from the round before (its RAM touched, its"
                    + " pages evicted): %.0f MB/s, views / FileChannel %.2f%n",
                round, bytes / (keptNs / 1e3), (double) fileNs / keptNs);
          }
        } finally {
          keptVm.close();
        }
      }
      elementAccess();
      bulkOperations();
    } finally {
      if (!keep) {
        try (var files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  /**
   * Fails unless a scan's sum is the file's: exactly for the default data, whose sums are exact in
   * any order; within a relative 1e-9 for random data, added in another order.
   */
  private static void checkSum(double ours, double file) {
    if (RANDOM ? Math.abs(ours - file) > 1e-9 * Math.abs(file) : ours != file) {
      throw new AssertionError("sums differ: " + ours + " != " + file);
    }
  }

  /** The {@code loadBefore} requests the server answered so far. */
  private static long serverLoads(ZeoServer server) {
    return ((Number) server.served().status().get("loads")).longValue();
  }

  /** Whether the array holds pseudo-random doubles ({@code -Dbench.data=random}). */
  private static final boolean RANDOM = dataKind().equals("random");

  private static String dataKind() {
    String kind = System.getProperty("bench.data", "pattern");
    if (!kind.equals("pattern") && !kind.equals("random")) {
      throw new IllegalArgumentException("-Dbench.data=" + kind + " (expected: pattern or random)");
    }
    return kind;
  }

  private static double value(long i) {
    if (RANDOM) { // SplitMix64's finaliser of i: 53 random bits, a double in [0, 1)
      long z = i * 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return ((z ^ (z >>> 31)) >>> 11) * 0x1.0p-53;
    }
    return (i % 1000) * 0.25;
  }

  private static Database open(ZeoServer s) {
    return Database.open(
        s.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(120)),
        256 << 20);
  }

  private static void fill(ZeoServer server, long n) {
    try (Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(BLOCK, 512L << 20, 0)) {
      ZBigArray.register(db.registry());
      ZBigArray za = new ZBigArray(new long[] {n}, DType.FLOAT64, 'C', BLOCK);
      c.root().put("a", za);
      c.commit();
      BigArray a = za.open(vm);
      long rows = PIECE / 8;
      for (long r = 0; r < n; r += rows) {
        long end = Math.min(n, r + rows);
        try (BigArray.View v = a.view(true, Index.slice(r, end, 1))) {
          var seg = v.mapping().segment();
          long off = r * 8 - v.mapping().firstBlock() * BLOCK;
          for (long i = r; i < end; i++) {
            seg.set(
                java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, off + (i - r) * 8, value(i));
          }
        }
        c.commit();
      }
    }
  }

  private static void writeRaw(Path raw, long n) throws Exception {
    try (FileChannel ch =
        FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocateDirect((int) PIECE).order(ByteOrder.LITTLE_ENDIAN);
      for (long i = 0; i < n; ) {
        b.clear();
        while (b.remaining() >= 8 && i < n) {
          b.putDouble(value(i++));
        }
        b.flip();
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
    }
  }

  private static double sumThroughViews(ZeoServer server) {
    try (VirtMem vm = new VirtMem(BLOCK, 512L << 20, 8)) {
      return sumThroughViews(server, vm);
    }
  }

  /**
   * The scan in {@code vm}: a new one has none of its RAM touched yet (each 4 KiB page's first
   * write costs the kernel, and on a VM with shadowed page tables about 2.5 µs more); one kept from
   * the scan before, its pages evicted first, has the memory of its slots ready, as a long-lived
   * process scanning again does.
   */
  private static double sumThroughViews(ZeoServer server, VirtMem vm) {
    vm.reclaim(Long.MAX_VALUE); // nothing of the scan before stays loaded
    try (Database db = open(server);
        Connection c = db.open()) {
      ZBigArray.register(db.registry());
      BigArray a = c.root().get("a", ZBigArray.class).open(vm);
      double[] sum = {0};
      a.forEachChunk(PIECE, (NDArray piece) -> sum[0] += piece.sum(), rows -> {});
      return sum[0];
    }
  }

  /**
   * Loads every block's record (no pages), {@code window} at a time; returns the bytes. The data
   * goes into heap arrays, or with {@code intoMemory} straight into native memory as a page gets it
   * ({@link Database#loadRecordIntoAsync}: one buffer per call in flight, reused, warm), which is
   * the scan's own data path without virtmem.
   */
  private static long fetchBlocks(ZeoServer server, int window, boolean intoMemory) {
    try (Database db = open(server);
        Connection c = db.open();
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
      ZBigArray.register(db.registry());
      var file = c.root().get("a", ZBigArray.class).zfile();
      java.util.List<org.zbig.zodb.Oid> oids = new java.util.ArrayList<>();
      for (var e : file.blktab().items()) {
        oids.add(((org.zbig.client.Persistent) e.getValue()).oid());
      }
      var at = c.snapshot();
      java.util.ArrayDeque<java.util.concurrent.CompletableFuture<org.zbig.zodb.storage.LoadResult>>
          q = new java.util.ArrayDeque<>();
      java.util.ArrayDeque<ZeoClient.Sink> sinks = new java.util.ArrayDeque<>();
      java.lang.foreign.MemorySegment[] into = new java.lang.foreign.MemorySegment[window];
      if (intoMemory) {
        for (int i = 0; i < window; i++) {
          into[i] = arena.allocate(BLOCK, 4096).fill((byte) 1); // warm, as recycled page slots
        }
      }
      byte[] prefix = org.zbig.zblk.ZBlk0Codec.recordPrefix();
      long bytes = 0;
      int next = 0;
      for (var oid : oids) {
        if (q.size() == window) {
          bytes += received(q.poll().join(), sinks.poll());
        }
        if (intoMemory) {
          ZeoClient.Sink sink = new ZeoClient.Sink(into[next++ % window], prefix);
          sinks.add(sink);
          q.add(db.loadRecordIntoAsync(oid, at, sink));
        } else {
          q.add(db.loadRecordAsync(oid, at));
        }
      }
      while (!q.isEmpty()) {
        bytes += received(q.poll().join(), sinks.poll());
      }
      return bytes;
    }
  }

  /** The data bytes a load received: into its sink's memory, or in its record. */
  private static long received(org.zbig.zodb.storage.LoadResult r, ZeoClient.Sink sink) {
    if (sink == null) {
      return r.data().length();
    }
    if (sink.filled() < 0) {
      throw new AssertionError("a ZBlk0 block's data did not go into its memory");
    }
    return sink.filled();
  }

  /**
   * Random reads of single elements across the whole array through one open view (its pages all in
   * RAM once the view is mapped), each timed, against 8-byte positional reads of the raw file (in
   * the OS cache after its sum) at the same random indices.
   */
  private static void randomReads(ZeoServer server, Path raw, long n) throws Exception {
    int samples = 1_000_000;
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    System.out.println("random reads: seed " + seed);
    java.util.Random r = new java.util.Random(seed);
    long[] at = new long[samples];
    for (int i = 0; i < samples; i++) {
      at[i] = (r.nextLong() & Long.MAX_VALUE) % n;
    }
    sumFile(raw); // the raw file into the OS cache
    try (Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(BLOCK, n * 8 + (256L << 20), 8);
        FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      ZBigArray.register(db.registry());
      BigArray a = c.root().get("a", ZBigArray.class).open(vm);
      long t0 = System.nanoTime();
      try (BigArray.View v = a.view(false, Index.slice(0L, n, 1))) {
        System.out.printf(
            "random reads: the view of all %.2f GiB mapped in %.1f s%n",
            n * 8 / (double) (1L << 30), (System.nanoTime() - t0) / 1e9);
        NDArray x = v.array();
        ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int round = 1; round <= 3; round++) {
          long[] ours = new long[samples];
          long[] file = new long[samples];
          double check = 0;
          for (int i = 0; i < samples; i++) {
            long s0 = System.nanoTime();
            double d = x.getDouble(at[i]);
            long s1 = System.nanoTime();
            b.clear();
            ch.read(b, at[i] * 8);
            long s2 = System.nanoTime();
            if (d != b.getDouble(0)) {
              throw new AssertionError("element " + at[i] + ": " + d + " != " + b.getDouble(0));
            }
            check += d;
            ours[i] = s1 - s0;
            file[i] = s2 - s1;
          }
          java.util.Arrays.sort(ours);
          java.util.Arrays.sort(file);
          long p50 = ours[samples / 2];
          long p99 = ours[samples / 100 * 99];
          long f50 = file[samples / 2];
          long f99 = file[samples / 100 * 99];
          System.out.printf(
              "random reads round %d (%d reads, %s): view p50 %d ns p99 %d ns; FileChannel pread"
                  + " p50 %d ns p99 %d ns; ratio p50 %.3f p99 %.3f%n",
              round, samples, check, p50, p99, f50, f99, (double) p50 / f50, (double) p99 / f99);
        }
      }
    }
  }

  /**
   * Fault-in of one 2 MiB block: a read-only view of one block whose page is not in RAM (a cache
   * without read-ahead; the page is dropped after each sample), timed from the call to the view's
   * return, against the loopback round trip of a 2 MiB frame in the same loop: a 16-byte request
   * over a blocking socket, answered by a thread that writes 2 MiB back, read whole into a reused
   * direct buffer (the least any client can do for a 2 MiB answer). The server's data is warm (the
   * rounds of the other modes, or the first unmeasured samples here).
   */
  private static void faultIn(ZeoServer server, long n) throws Exception {
    int samples = Integer.getInteger("zbig.samples", 300);
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    System.out.println("fault-in: seed " + seed);
    java.util.Random r = new java.util.Random(seed);
    long blocks = n * 8 / BLOCK;
    long rows = BLOCK / 8;
    try (Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(BLOCK, 64L << 20, 0);
        Echo echo = new Echo()) {
      DirectBuffers leases = new DirectBuffers(64 << 20);
      ZBigArray.register(db.registry());
      ZBigArray za = c.root().get("a", ZBigArray.class);
      BigArray a = za.open(vm);
      java.util.Map<Long, org.zbig.zodb.Oid> oids = new java.util.HashMap<>();
      for (var e : za.zfile().blktab().items()) {
        oids.put(
            ((Number) e.getKey()).longValue(), ((org.zbig.client.Persistent) e.getValue()).oid());
      }
      for (int round = 0; round <= 3; round++) { // round 0 warms up, unreported
        long[] ours = new long[samples];
        long[] base = new long[samples];
        long[] record = new long[samples];
        long[] storageNs = new long[samples];
        double check = 0;
        for (int i = 0; i < samples; i++) {
          long blk = (r.nextLong() & Long.MAX_VALUE) % blocks;
          long t0 = System.nanoTime();
          try (BigArray.View v = a.view(false, Index.slice(blk * rows, (blk + 1) * rows, 1))) {
            ours[i] = System.nanoTime() - t0;
            double d = v.array().getDouble(0);
            if (d != value(blk * rows)) {
              throw new AssertionError("block " + blk + ": " + d + " != " + value(blk * rows));
            }
            check += d;
          }
          a.file().dropBehind(blk, 1);
          base[i] = echo.roundTrip();
          long t1 = System.nanoTime();
          db.loadRecordAsync(oids.get(blk), c.snapshot()).join();
          record[i] = System.nanoTime() - t1;
          long t2 = System.nanoTime();
          // the server's own read of the record (into a direct buffer, as for a reply)
          DirectBuffers.Lease lease = leases.lease();
          check +=
              server.served().storage.loadBefore(oids.get(blk), Tid.MAX, lease).isEmpty() ? 1 : 0;
          lease.release();
          storageNs[i] = System.nanoTime() - t2;
        }
        if (round == 0) {
          continue;
        }
        java.util.Arrays.sort(ours);
        java.util.Arrays.sort(base);
        java.util.Arrays.sort(record);
        java.util.Arrays.sort(storageNs);
        double p50 = ours[samples / 2] / 1e6;
        double p99 = ours[samples * 99 / 100] / 1e6;
        double b50 = base[samples / 2] / 1e6;
        double b99 = base[samples * 99 / 100] / 1e6;
        System.out.printf(
            "fault-in round %d (%d blocks, %s): one 2 MiB block p50 %.2f ms p99 %.2f ms; loopback"
                + " fetch of 2 MiB p50 %.2f ms p99 %.2f ms; ratio p50 %.2f p99 %.2f%n",
            round, samples, check, p50, p99, b50, b99, p50 / b50, p99 / b99);
        System.out.printf(
            "  its record alone (Database.loadRecordAsync): p50 %.2f ms p99 %.2f ms; the server's"
                + " read of it from its storage: p50 %.2f ms p99 %.2f ms%n",
            record[samples / 2] / 1e6,
            record[samples * 99 / 100] / 1e6,
            storageNs[samples / 2] / 1e6,
            storageNs[samples * 99 / 100] / 1e6);
      }
    }
  }

  /** A loopback server that answers each 16-byte request with a 2 MiB frame. */
  private static final class Echo implements AutoCloseable {
    private final java.nio.channels.ServerSocketChannel listener;
    private final java.nio.channels.SocketChannel client;
    private final ByteBuffer request = ByteBuffer.allocateDirect(16);
    private final ByteBuffer reply = ByteBuffer.allocateDirect((int) BLOCK + 4);

    Echo() throws java.io.IOException {
      listener =
          java.nio.channels.ServerSocketChannel.open()
              .bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      client = java.nio.channels.SocketChannel.open(listener.getLocalAddress());
      client.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      java.nio.channels.SocketChannel peer = listener.accept();
      peer.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      Thread.ofPlatform()
          .daemon()
          .name("echo")
          .start(() -> {
            ByteBuffer in = ByteBuffer.allocateDirect(16);
            ByteBuffer out = ByteBuffer.allocateDirect((int) BLOCK + 4);
            out.putInt(0, (int) BLOCK);
            try (peer) {
              while (true) {
                in.clear();
                while (in.hasRemaining()) {
                  if (peer.read(in) < 0) {
                    return;
                  }
                }
                out.clear();
                while (out.hasRemaining()) {
                  peer.write(out);
                }
              }
            } catch (java.io.IOException e) {
              // closed
            }
          });
    }

    long roundTrip() throws java.io.IOException {
      long t0 = System.nanoTime();
      request.clear();
      while (request.hasRemaining()) {
        client.write(request);
      }
      reply.clear();
      while (reply.hasRemaining()) {
        if (client.read(reply) < 0) {
          throw new java.io.EOFException("echo closed");
        }
      }
      return System.nanoTime() - t0;
    }

    @Override
    public void close() throws java.io.IOException {
      client.close(); // the thread sees the end of its stream and stops
      listener.close();
    }
  }

  private static double sumFile(Path raw) throws Exception {
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocateDirect((int) PIECE).order(ByteOrder.LITTLE_ENDIAN);
      double acc0 = 0;
      double acc1 = 0;
      while (true) {
        b.clear();
        if (ch.read(b) < 0) {
          break;
        }
        b.flip();
        DoubleBuffer d = b.asDoubleBuffer();
        int k = d.remaining();
        int i = 0;
        for (; i + 1 < k; i += 2) {
          acc0 += d.get(i);
          acc1 += d.get(i + 1);
        }
        if (i < k) {
          acc0 += d.get(i);
        }
      }
      return acc0 + acc1;
    }
  }

  private static void elementAccess() {
    int n = 10_000_000;
    double[] plain = new double[n];
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      NDArray a = NDArray.of(arena.allocate(8L * n), DType.FLOAT64, new long[] {n}, 'C');
      for (int i = 0; i < n; i++) {
        plain[i] = value(i);
        a.setDouble(value(i), i);
      }
      for (int round = 1; round <= 8; round++) {
        long t0 = System.nanoTime();
        double s1 = 0;
        for (int i = 0; i < n; i++) {
          s1 += a.getDouble(i);
        }
        long nd = System.nanoTime() - t0;
        long t1 = System.nanoTime();
        double s2 = 0;
        for (int i = 0; i < n; i++) {
          s2 += plain[i];
        }
        long arr = System.nanoTime() - t1;
        if (s1 != s2) {
          throw new AssertionError(s1 + " != " + s2);
        }
        System.out.printf(
            "round %d: element access NDArray.getDouble %.2f ns, double[] %.2f ns, ratio %.1f%n",
            round, nd / (double) n, arr / (double) n, (double) nd / arr);
      }
    }
  }

  /** A file whose blocks all read as zeros and whose writes go nowhere. */
  private static final class ZeroFile implements org.zbig.client.virtmem.BigFile {
    @Override
    public long blockSize() {
      return BLOCK;
    }

    @Override
    public void loadBlock(long blk, java.lang.foreign.MemorySegment page) {}

    @Override
    public void storeBlock(long blk, java.lang.foreign.MemorySegment page) {}
  }

  private interface Op {
    double run();
  }

  /**
   * Bulk operations on a 512 MiB float64 view whose pages are in RAM (mapped and touched once
   * before), against the same operation on a {@code double[]} of the same length: sum (both with
   * four accumulators; a one-accumulator loop is printed too), fill ({@code Arrays.fill}), copy to
   * and from a {@code double[]} ({@code System.arraycopy}). Five rounds; the median ratio of the
   * times (ours / heap) is printed last.
   */
  private static void bulkOperations() {
    int n = 64 << 20;
    double[] heap = new double[n];
    double[] other = new double[n];
    for (int i = 0; i < n; i++) {
      heap[i] = value(i);
      other[i] = value(i + 1);
    }
    try (VirtMem vm = new VirtMem(BLOCK, 1L << 30, 0);
        var h = vm.open(new ZeroFile())) {
      BigArray a = new BigArray(h, BLOCK, new long[] {n}, DType.FLOAT64, 'C');
      try (BigArray.View v = a.view(true, Index.slice(0L, (long) n, 1))) {
        NDArray x = v.array();
        x.copyFrom(heap);
        String[] names = {"sum", "fill", "copy to double[]", "copy from double[]"};
        Op[] ours = {
          x::sum,
          () -> {
            x.fill(1.5);
            return 0;
          },
          () -> {
            x.copyTo(other);
            return other[n - 1];
          },
          () -> {
            x.copyFrom(heap);
            return 0;
          }
        };
        Op[] plain = {
          () -> sum4(heap),
          () -> {
            java.util.Arrays.fill(other, 1.5);
            return 0;
          },
          () -> {
            System.arraycopy(heap, 0, other, 0, n);
            return other[n - 1];
          },
          () -> {
            System.arraycopy(other, 0, heap, 0, n);
            return 0;
          }
        };
        for (int op = 0; op < names.length; op++) {
          double[] ratios = new double[5];
          for (int round = 0; round < 7; round++) { // two unmeasured warm-up rounds
            long t0 = System.nanoTime();
            double r1 = ours[op].run();
            long t1 = System.nanoTime();
            double r2 = plain[op].run();
            long t2 = System.nanoTime();
            if (op == 0 && r1 != r2) {
              throw new AssertionError("sums differ: " + r1 + " != " + r2);
            }
            if (round >= 2) {
              ratios[round - 2] = (double) (t1 - t0) / (t2 - t1);
              System.out.printf(
                  "bulk %s round %d: view %.0f MB/s, double[] %.0f MB/s, time ratio %.2f%n",
                  names[op],
                  round - 1,
                  8.0 * n / ((t1 - t0) / 1e3),
                  8.0 * n / ((t2 - t1) / 1e3),
                  ratios[round - 2]);
            }
          }
          java.util.Arrays.sort(ratios);
          System.out.printf(
              "bulk %s: median time ratio view / double[] %.2f (%.0f%% of the heap array's speed)%n",
              names[op], ratios[2], 100 / ratios[2]);
        }
        long t0 = System.nanoTime();
        double s = 0;
        for (int i = 0; i < n; i++) {
          s += heap[i];
        }
        System.out.printf(
            "bulk sum, double[] with one accumulator: %.0f MB/s (%s)%n",
            8.0 * n / ((System.nanoTime() - t0) / 1e3), s);
      }
    }
  }

  private static double sum4(double[] a) {
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int i = 0;
    for (; i + 3 < a.length; i += 4) {
      a0 += a[i];
      a1 += a[i + 1];
      a2 += a[i + 2];
      a3 += a[i + 3];
    }
    for (; i < a.length; i++) {
      a0 += a[i];
    }
    return (a0 + a1) + (a2 + a3);
  }
}
