package org.zbig.server.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * Server throughput over loopback TCP, each figure printed with a baseline measured in the same run
 * (not run by CI). Each kind of load runs once unmeasured first, so that the server's code is
 * compiled before it is compared with a baseline whose code is trivial:
 *
 * <ul>
 *   <li>{@code loadBefore} with 64 requests in flight per connection, from 1, 4 and 16 connections,
 *       against a loopback echo of frames of the same sizes with the same pipelining;
 *   <li>durable commits (RocksDB, synced) from 1, 4 and 16 committers, against one {@code fsync} of
 *       a small write to a plain file;
 *   <li>{@code new_oids(100)} calls per second on one connection, against that {@code fsync} rate;
 *   <li>storing and loading 2 MiB records in MB/s, against a loopback echo of 2 MiB frames, and the
 *       stores against synced 2 MiB appends to a plain file (what a durable commit of one such
 *       record cannot beat).
 * </ul>
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -Pbench -pl store-server test-compile exec:exec \
 *     -Dbench.main=org.zbig.server.bench.ServerBenchmark [-Dbench=loads|commits|oids|big]
 * </pre>
 *
 * <p>The storage's settings go to the benchmark's JVM as properties, e.g. {@code
 * JAVA_TOOL_OPTIONS="-Dbench.dedup=on -Dbench.compression=none"}; {@code -Dbench.prefill=MIB}
 * stores that much in big records first, unmeasured, so that the storage's write-ahead logs are
 * written over as in a server that has run for a while.
 */
public final class ServerBenchmark {
  private static final int WINDOW = 64;
  private static final long SECONDS = Long.getLong("bench.seconds", 3);
  private static final int OBJECTS = 10_000;

  private ServerBenchmark() {}

  /**
   * The connection counts to run: {@code -DNAME=16} or {@code -DNAME=1,16}; 1, 4 and 16 by default.
   */
  private static int[] counts(String property) {
    String value = System.getProperty(property, "1,4,16");
    return java.util.Arrays.stream(value.split(","))
        .mapToInt(v -> Integer.parseInt(v.trim()))
        .toArray();
  }

  /** Runs every benchmark and prints one line per figure. */
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("zbig-bench");
    ServerConfig base = ServerConfig.inMemory();
    ServerConfig config =
        new ServerConfig(
            base.host(),
            0,
            dir.resolve("data"),
            base.storageName(),
            Encoding.PICKLE,
            false,
            100,
            null,
            true,
            base.maxFrame());
    // -Dbench.dedup=on: big records cut into chunks (off, the server's default, stores them whole)
    boolean dedup = "on".equals(System.getProperty("bench.dedup"));
    // -Dbench.compression=none|lz4|zstd: the storage's compression (lz4, its default, otherwise)
    org.zbig.server.storage.Compression compression =
        org.zbig.server.storage.Compression.parse(System.getProperty("bench.compression", "lz4"));
    System.out.println("dedup " + (dedup ? "on" : "off") + ", compression " + compression);
    try (ZeoServer server =
        ZeoServer.start(
            config,
            org.zbig.server.Limits.defaults(),
            null,
            List.of(),
            org.zbig.server.storage.KvStorage.rocks(config.data(), compression).dedup(dedup))) {
      InetSocketAddress addr = server.address();
      List<Oid> oids = populate(addr);
      // -Dbench.prefill=MIB: that much in 2 MiB records stored first, not measured, so that the
      // storage's write-ahead logs have been flushed and are written over, as in a server that has
      // run for a while (a fresh one appends to new log files until its first flushes)
      int prefill = Integer.getInteger("bench.prefill", 0) / 2;
      if (prefill > 0) {
        byte[] block = new byte[2 << 20];
        new Random(3).nextBytes(block);
        try (Client c = new Client(addr)) {
          for (int done = 0; done < prefill; done += 50) {
            int n = Math.min(50, prefill - done);
            storeEach(c, c.call(new NewOids(MsgId.of(c.msgid++), n)), block, (1L << 40) + done);
          }
        }
        System.out.println("prefilled: " + prefill * 2 + " MiB in 2 MiB records");
      }
      System.out.printf("%-44s %14s %14s %8s%n", "benchmark", "ours", "baseline", "ratio");
      String only = args.length > 0 ? args[0] : ".*";
      try (Echo echo = new Echo()) {
        if ("loads".matches(only)) {
          // the JIT compiles the server's paths first (the echo's are trivial): not measured
          parallel(4, () -> loads(addr, oids));
          parallel(4, () -> echoRoundTrips(echo.address(), 40, 180));
          for (int conns : counts("bench.conns")) {
            double ours = parallel(conns, () -> loads(addr, oids));
            double echoRate = parallel(conns, () -> echoRoundTrips(echo.address(), 40, 180));
            row(
                "loadBefore, " + conns + " conn x " + WINDOW + " in flight (ops/s)",
                ours,
                echoRate);
          }
        }
        if ("commits".matches(only)) {
          parallel(4, () -> commits(addr)); // warm-up, not measured
          VOTE_NANOS.set(0);
          FINISH_NANOS.set(0);
          double fsync = fsyncRate(dir);
          for (int committers : counts("bench.committers")) {
            long[] before = groups(server);
            double ours = parallel(committers, () -> commits(addr));
            long[] after = groups(server);
            row("durable commits, " + committers + " committers (commits/s)", ours, fsync);
            long n = after[0] - before[0];
            System.out.printf(
                "  %.1f transactions per synced write; mean vote %.3f ms, finish %.3f ms%n",
                n / (double) Math.max(1, after[1] - before[1]),
                VOTE_NANOS.getAndSet(0) / 1e6 / n,
                FINISH_NANOS.getAndSet(0) / 1e6 / n);
          }
        }
        if ("oids".matches(only)) {
          newOidCalls(addr); // warm-up, not measured
          row("new_oids(100), 1 conn (calls/s)", newOidCalls(addr), fsyncRate(dir));
        }
        if ("big".matches(only)) {
          double echoMb = echoBulk(echo.address());
          double[] big = bigRecords(addr);
          row("2 MiB records: store (MB/s)", big[0], echoMb);
          row("2 MiB records: load (MB/s)", big[1], echoMb);
          // a durable store of 2 MiB writes them to the log and syncs it: what the disk allows
          row("2 MiB records: store vs synced appends (MB/s)", big[0], syncedAppends(dir));
        }
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void row(String what, double ours, double baseline) {
    System.out.printf("%-44s %14.0f %14.0f %8.3f%n", what, ours, baseline, ours / baseline);
  }

  /** Runs {@code n} copies at once and sums their rates. */
  private static double parallel(int n, Callable<Double> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Double>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        fs.add(pool.submit(task));
      }
      double sum = 0;
      for (Future<Double> f : fs) {
        sum += f.get();
      }
      return sum;
    } finally {
      pool.shutdown();
    }
  }

  /** A raw client: frames over a socket. */
  private static final class Client implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    final MessageCodec codec;
    long msgid = 1;

    Client(InetSocketAddress addr) throws IOException {
      socket = new Socket(addr.getAddress(), addr.getPort());
      socket.setTcpNoDelay(true);
      in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
      out = new java.io.BufferedOutputStream(socket.getOutputStream(), 1 << 16);
      Encoding e = Handshake.clientChooses(read());
      write(Handshake.answer(e));
      out.flush();
      codec = new MessageCodec(e, Role.CLIENT);
      send(new Register(MsgId.of(msgid++), "1", false));
      out.flush();
      reply();
    }

    byte[] read() throws IOException {
      byte[] b = new byte[in.readInt()];
      in.readFully(b);
      return b;
    }

    void write(byte[] payload) throws IOException {
      byte[] len = ByteBuffer.allocate(4).putInt(payload.length).array();
      out.write(len);
      out.write(payload);
    }

    void send(Message m) throws IOException {
      write(codec.encodeToArray(m));
    }

    /** The next reply, skipping server calls. */
    Message reply() throws IOException {
      for (; ; ) {
        byte[] f = read();
        Message m = codec.decode(f, 0, f.length);
        if (m instanceof ErrorReply e) {
          throw e.toException();
        }
        if (!(m instanceof ServerCall)) {
          return m;
        }
      }
    }

    <R> R call(SyncRequest<R> r) throws IOException {
      send(r);
      out.flush();
      return r.decodeResult(((Reply) reply()).value());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static List<Oid> populate(InetSocketAddress addr) throws IOException {
    List<Oid> oids = new ArrayList<>();
    try (Client c = new Client(addr)) {
      for (long txn = 1; oids.size() < OBJECTS; txn++) {
        List<Oid> batch = c.call(new NewOids(MsgId.of(c.msgid++), 100));
        c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        for (Oid o : batch) {
          c.send(new StoreA(o, Tid.Z64, Bytes.wrap(new byte[100]), txn));
        }
        c.call(new Vote(MsgId.of(c.msgid++), txn));
        c.call(new TpcFinish(MsgId.of(c.msgid++), txn));
        oids.addAll(batch);
      }
    }
    return oids;
  }

  /**
   * Pipelined loads, the load generator as cheap as the echo baseline's client: requests are
   * encoded once (one frame per object, msgid 7 for all), replies are read as frames and one in
   * 1,000 is decoded and checked.
   */
  private static double loads(InetSocketAddress addr, List<Oid> oids) throws IOException {
    Random r = new Random();
    try (Client c = new Client(addr)) {
      byte[][] frames = new byte[oids.size()][];
      for (int i = 0; i < frames.length; i++) {
        byte[] payload = c.codec.encodeToArray(new LoadBefore(MsgId.of(7), oids.get(i), Tid.MAX));
        frames[i] =
            ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
      }
      byte[] reply = new byte[1 << 16];
      long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
      long done = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < WINDOW; i++) {
        c.out.write(frames[r.nextInt(frames.length)]);
      }
      c.out.flush();
      while (System.nanoTime() < deadline) {
        int n = c.in.readInt();
        c.in.readFully(reply, 0, n);
        if (done % 1000 == 0 && !(c.codec.decode(reply, 0, n) instanceof Reply)) {
          throw new IllegalStateException("not a reply: " + c.codec.decode(reply, 0, n));
        }
        done++;
        c.out.write(frames[r.nextInt(frames.length)]);
        if (c.in.available() == 0) {
          c.out.flush();
        }
      }
      c.out.flush();
      double rate = done / ((System.nanoTime() - t0) / 1e9);
      for (int i = 0; i < WINDOW; i++) {
        c.in.readFully(reply, 0, c.in.readInt());
      }
      return rate;
    }
  }

  /** The server's commits and synced commit groups so far. */
  private static long[] groups(ZeoServer server) {
    Map<String, Object> st = server.status().get("1");
    return new long[] {(Long) st.get("commits"), (Long) st.get("commit-groups")};
  }

  private static final java.util.concurrent.atomic.AtomicLong VOTE_NANOS =
      new java.util.concurrent.atomic.AtomicLong();
  private static final java.util.concurrent.atomic.AtomicLong FINISH_NANOS =
      new java.util.concurrent.atomic.AtomicLong();

  private static double commits(InetSocketAddress addr) throws IOException {
    try (Client c = new Client(addr)) {
      Oid own = c.call(new NewOids(MsgId.of(c.msgid++), 1)).getFirst();
      Tid serial = Tid.Z64;
      long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
      long t0 = System.nanoTime();
      long done = 0;
      for (long txn = 1; System.nanoTime() < deadline; txn++) {
        long v0 = System.nanoTime();
        c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        c.send(new StoreA(own, serial, Bytes.wrap(new byte[100]), txn));
        c.call(new Vote(MsgId.of(c.msgid++), txn));
        long v1 = System.nanoTime();
        serial = c.call(new TpcFinish(MsgId.of(c.msgid++), txn));
        VOTE_NANOS.addAndGet(v1 - v0);
        FINISH_NANOS.addAndGet(System.nanoTime() - v1);
        done++;
      }
      return done / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * {@code new_oids(100)} calls, one at a time, for {@link #SECONDS}: what a client creating many
   * objects asks between its commits. Each call's oids are durable before the reply.
   */
  private static double newOidCalls(InetSocketAddress addr) throws IOException {
    try (Client c = new Client(addr)) {
      long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
      long t0 = System.nanoTime();
      long done = 0;
      while (System.nanoTime() < deadline) {
        List<Oid> got = c.call(new NewOids(MsgId.of(c.msgid++), 100));
        if (got.size() != 100) {
          throw new IllegalStateException(got.size() + " oids for new_oids(100)");
        }
        done++;
      }
      return done / ((System.nanoTime() - t0) / 1e9);
    }
  }

  private static double[] bigRecords(InetSocketAddress addr) throws IOException {
    byte[] block = new byte[2 << 20];
    new Random(1).nextBytes(block);
    int n = 50;
    List<Oid> oids;
    try (Client c = new Client(addr)) {
      // a first pass, not measured, on objects of its own: the server's code compiled by the JIT
      storeEach(c, c.call(new NewOids(MsgId.of(c.msgid++), n)), block, 1000L);
      oids = c.call(new NewOids(MsgId.of(c.msgid++), n));
      long t0 = System.nanoTime();
      storeEach(c, oids, block, 2000L);
      double store = n * 2.0 * 1.048576 / ((System.nanoTime() - t0) / 1e9);
      loadAll(c, oids, 4); // unmeasured, as the stores: the load path compiled by the JIT
      long t1 = System.nanoTime();
      int rounds = 4;
      loadAll(c, oids, rounds);
      double load = rounds * n * 2.0 * 1.048576 / ((System.nanoTime() - t1) / 1e9);
      return new double[] {store, load};
    }
  }

  /** Loads each of {@code oids} {@code rounds} times, a round's requests pipelined. */
  private static void loadAll(Client c, List<Oid> oids, int rounds) throws IOException {
    for (int k = 0; k < rounds; k++) {
      for (Oid oid : oids) {
        c.send(LoadBefore.of(oid, Tid.MAX));
      }
      c.out.flush();
      for (int i = 0; i < oids.size(); i++) {
        c.reply();
      }
    }
  }

  /**
   * Stores {@code block} as the first revision of each of {@code oids}, one commit each, each
   * record distinct: the transaction's number goes into the first bytes of every 4 KiB of the block
   * before it is sent (a storage with dedup on would otherwise store the same chunks once, and the
   * rest of the records as their names only).
   */
  private static void storeEach(Client c, List<Oid> oids, byte[] block, long firstTxn)
      throws IOException {
    Bytes data = Bytes.wrap(block);
    ByteBuffer marks = ByteBuffer.wrap(block);
    for (int i = 0; i < oids.size(); i++) {
      long txn = firstTxn + i;
      for (int at = 0; at + 8 <= block.length; at += 4096) {
        marks.putLong(at, txn); // the last request is answered: nothing reads the block now
      }
      c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(oids.get(i), Tid.Z64, data, txn));
      c.call(new Vote(MsgId.of(c.msgid++), txn));
      c.call(new TpcFinish(MsgId.of(c.msgid++), txn));
    }
  }

  /** The fsync rate of a small write to a plain file on the data folder's file system. */
  private static double fsyncRate(Path dir) throws IOException {
    return syncedWritesPerSecond(dir.resolve("fsync-baseline"), ByteBuffer.allocate(200));
  }

  /**
   * MB/s of 2 MiB appends to a plain file on the data folder's file system, each synced ({@code
   * fdatasync}): the bound of durable commits of one 2 MiB record each.
   */
  private static double syncedAppends(Path dir) throws IOException {
    ByteBuffer block = ByteBuffer.allocateDirect(2 << 20);
    new Random(2).ints(block.capacity() / 4).forEach(block::putInt);
    return syncedWritesPerSecond(dir.resolve("append-baseline"), block) * 2.0 * 1.048576;
  }

  /**
   * Appends {@code each} to file {@code f} and syncs it ({@code fdatasync}), again and again for
   * {@link #SECONDS}: the rate per second. The file is deleted afterwards.
   */
  private static double syncedWritesPerSecond(Path f, ByteBuffer each) throws IOException {
    try (FileChannel ch =
        FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
      long t0 = System.nanoTime();
      long n = 0;
      while (System.nanoTime() < deadline) {
        ch.write(each.clear());
        ch.force(false);
        n++;
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    } finally {
      Files.deleteIfExists(f);
    }
  }

  /** Round trips of frames the size of a loadBefore request and reply, pipelined alike. */
  private static double echoRoundTrips(InetSocketAddress addr, int requestSize, int replySize)
      throws IOException {
    try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
      s.setTcpNoDelay(true);
      DataInputStream in =
          new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1 << 16));
      DataOutputStream out =
          new DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16));
      byte[] req = new byte[requestSize];
      byte[] rep = new byte[replySize];
      long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
      long t0 = System.nanoTime();
      long done = 0;
      for (int i = 0; i < WINDOW; i++) {
        out.writeInt(replySize);
        out.writeInt(req.length);
        out.write(req);
      }
      out.flush();
      while (System.nanoTime() < deadline) {
        in.readFully(rep, 0, in.readInt());
        done++;
        out.writeInt(replySize);
        out.writeInt(req.length);
        out.write(req);
        if (in.available() == 0) {
          out.flush();
        }
      }
      out.flush();
      double rate = done / ((System.nanoTime() - t0) / 1e9);
      for (int i = 0; i < WINDOW; i++) {
        in.readFully(rep, 0, in.readInt());
      }
      return rate;
    }
  }

  /** MB/s of 2 MiB frames sent and echoed back. */
  private static double echoBulk(InetSocketAddress addr) throws IOException {
    int size = 2 << 20;
    try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] buf = new byte[size];
      int n = 100;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        out.writeInt(size);
        out.writeInt(size);
        out.write(buf);
        out.flush();
        in.readFully(buf, 0, in.readInt());
      }
      // each round moves 2 MiB each way; count one direction, as a store or a load does
      return n * 2.0 * 1.048576 / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * A loopback echo: reads {@code (reply size, request size, request)} and answers with a frame of
   * the reply size, one thread per connection.
   */
  private static final class Echo implements AutoCloseable {
    final ServerSocket listener =
        new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());

    Echo() throws IOException {
      Thread.ofPlatform()
          .daemon()
          .start(() -> {
            try {
              for (; ; ) {
                Socket s = listener.accept();
                s.setTcpNoDelay(true);
                Thread.ofPlatform().daemon().start(() -> serve(s));
              }
            } catch (IOException closed) {
              // stopped
            }
          });
    }

    private static void serve(Socket s) {
      try (s) {
        DataInputStream in =
            new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1 << 16));
        DataOutputStream out =
            new DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16));
        byte[] buf = new byte[2 << 20];
        InputStream raw = in;
        for (; ; ) {
          int replySize = in.readInt();
          int n = in.readInt();
          in.readFully(buf, 0, n);
          out.writeInt(replySize);
          out.write(buf, 0, replySize);
          if (raw.available() == 0) {
            out.flush();
          }
        }
      } catch (IOException closed) {
        // the client went away
      }
    }

    InetSocketAddress address() {
      return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }
}
