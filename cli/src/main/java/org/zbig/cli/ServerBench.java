package org.zbig.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.zbig.client.zeo.ClientEventLoops;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.wire.Encoding;
import org.zbig.wire.ErrorReply;
import org.zbig.wire.Handshake;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.NewOids;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.Role;
import org.zbig.wire.ServerCall;
import org.zbig.wire.StoreA;
import org.zbig.wire.SyncRequest;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * A load generator for any ZEO 5 server, ours or Python's: several ZEO connections at once, each
 * driving one mix for a fixed time, with throughput and latency percentiles. The connections share
 * a few network threads ({@link ClientEventLoops}), half the cores by default, so that 16
 * connections do not bring 16 threads to wake up for every reply onto the cores the server runs on
 * (on 2 cores: 1.7-1.9 times the loads and 1.3-1.7 times the commits of a thread per connection).
 *
 * <ul>
 *   <li>{@code read}: {@code loadBefore} of random small objects, {@code inFlight} requests
 *       outstanding per connection;
 *   <li>{@code commit}: durable commits of one small object per transaction, one committer per
 *       connection (each its own object: no conflicts);
 *   <li>{@code big}: 2 MiB records, each distinct, stored (one per transaction) then loaded back;
 *   <li>{@code raw-read}: as {@code read}, from a load generator that costs the machine far less
 *       than a ZEO client (requests encoded once, replies read as frames and one in 1,000 decoded),
 *       so that a fast server on the same machine is not measured against its own load generator.
 *       Plain TCP only.
 *   <li>{@code raw-commit}: as {@code commit}, from that cheap generator (a thread and a blocking
 *       socket per committer; the other connections' invalidations, which a ZEO client decodes one
 *       by one, read as frames and skipped).
 *   <li>{@code raw-big}: as {@code big}, its loads from that cheap generator (at most 4 in flight
 *       per connection, replies read as frames): what the server gives for 2 MiB records, not what
 *       a Java client on the same cores decodes.
 * </ul>
 */
final class ServerBench {
  static final int BIG = 2 << 20;

  /** What a run measured. */
  record Result(
      String mix,
      int connections,
      double seconds,
      long operations,
      double loadsPerS,
      double txnPerS,
      double storeMBps,
      double loadMBps,
      double p50Ms,
      double p99Ms) {
    Map<String, Object> toJson(String server) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("server", server);
      m.put("mix", mix);
      m.put("connections", connections);
      m.put("duration_s", seconds);
      m.put("operations", operations);
      m.put("loads_per_s", loadsPerS);
      m.put("txn_per_s", txnPerS);
      m.put("store_MBps", storeMBps);
      m.put("load_MBps", loadMBps);
      m.put("p50_ms", p50Ms);
      m.put("p99_ms", p99Ms);
      return m;
    }
  }

  private final List<InetSocketAddress> servers;
  private final ClientOptions options;
  private final int connections;
  private final Duration duration;
  private final int inFlight;
  private final int networkThreads;
  private ClientEventLoops loops; // shared by the run's connections, or null: a thread each

  /**
   * Connection {@code i} goes to {@code servers[i % servers.size()]}; the connections share {@code
   * networkThreads} network threads, or have one each if it is 0.
   */
  ServerBench(
      List<InetSocketAddress> servers,
      String storage,
      int connections,
      Duration duration,
      int inFlight,
      int networkThreads) {
    this.servers = List.copyOf(servers);
    this.options =
        ClientOptions.defaults()
            .withStorage(storage)
            .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60));
    this.connections = connections;
    this.duration = duration;
    this.inFlight = inFlight;
    this.networkThreads = networkThreads;
  }

  /** Latencies of one connection, in nanoseconds. */
  private static final class Samples {
    /**
     * Values go into arrays of this many, kept: an array doubled and copied as it filled (to
     * millions of values) was 3.4% of the generator's network thread under the read mix.
     */
    private static final int CHUNK = 1 << 16;

    private final List<long[]> full = new ArrayList<>();
    private long[] current = new long[CHUNK];
    private int at;

    synchronized void add(long v) {
      if (at == CHUNK) {
        full.add(current);
        current = new long[CHUNK];
        at = 0;
      }
      current[at++] = v;
    }

    /** All values so far, in one new array. */
    synchronized long[] all() {
      long[] v = new long[full.size() * CHUNK + at];
      for (int i = 0; i < full.size(); i++) {
        System.arraycopy(full.get(i), 0, v, i * CHUNK, CHUNK);
      }
      System.arraycopy(current, 0, v, full.size() * CHUNK, at);
      return v;
    }
  }

  private static final class Quiet implements ZeoClient.Listener {
    @Override
    public void invalidate(Tid tid, List<Oid> oids) {}

    @Override
    public void invalidateAll(Tid tid) {}
  }

  /** Connection {@code index}, to its share of the servers. */
  private ZeoClient connect(int index) {
    return ZeoClient.open(
        List.of(servers.get(index % servers.size())), options, new Quiet(), loops);
  }

  Result run(String mix) throws Exception {
    loops = networkThreads == 0 ? null : ClientEventLoops.create(networkThreads);
    try {
      return runMix(mix);
    } finally {
      if (loops != null) {
        loops.close();
      }
    }
  }

  private Result runMix(String mix) throws Exception {
    return switch (mix) {
      case "read" -> read();
      case "commit" -> commit();
      case "big" -> big();
      case "raw-read" -> rawRead();
      case "raw-commit" -> rawCommit();
      case "raw-big" -> rawBig();
      default ->
          throw new IllegalArgumentException(
              "mix: '" + mix + "' (expected: read, raw-read, commit, raw-commit, big or raw-big)");
    };
  }

  private static Tid commitOne(ZeoClient c, long txn, List<Oid> oids, Tid serial, Bytes data) {
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.utf8("zbig bench"), Map.of(), null, " "));
    for (Oid o : oids) {
      c.send(new StoreA(o, serial, data, txn));
    }
    VoteResult v = c.invoke(id -> new Vote(id, txn));
    if (!v.conflicts().isEmpty()) {
      throw new StorageException("unexpected conflict in the benchmark on " + v.conflicts());
    }
    return c.invoke(id -> new TpcFinish(id, txn));
  }

  private interface Worker {
    long run(ZeoClient c, int index, Samples samples, long deadline) throws Exception;
  }

  /** Runs one worker per connection at once; returns total operations and elapsed seconds. */
  private double[] parallel(Worker w, Samples samples) throws Exception {
    List<ZeoClient> clients = new ArrayList<>();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            connections, Thread.ofPlatform().name("zbig-bench-", 0).daemon().factory());
    try {
      for (int i = 0; i < connections; i++) {
        clients.add(connect(i));
      }
      long t0 = System.nanoTime();
      long deadline = t0 + duration.toNanos();
      List<Future<Long>> fs = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        int index = i;
        ZeoClient c = clients.get(i);
        fs.add(pool.submit(() -> w.run(c, index, samples, deadline)));
      }
      long ops = 0;
      for (Future<Long> f : fs) {
        ops += f.get();
      }
      return new double[] {ops, (System.nanoTime() - t0) / 1e9};
    } finally {
      pool.shutdown();
      for (ZeoClient c : clients) {
        c.close();
      }
    }
  }

  private static double percentile(Samples s, double p) {
    long[] v = s.all();
    if (v.length == 0) {
      return 0;
    }
    Arrays.sort(v);
    return v[Math.min(v.length - 1, (int) Math.ceil(p * v.length) - 1)] / 1e6;
  }

  /** The objects the read mixes load: 100 small records, committed once. */
  private List<Oid> smallObjects() {
    try (ZeoClient c = connect(0)) {
      List<Oid> oids = c.invoke(id -> new NewOids(id, 100));
      commitOne(c, 1, oids, Tid.Z64, Bytes.wrap(new byte[100]));
      return oids;
    }
  }

  private Result read() throws Exception {
    List<Oid> oids = smallObjects();
    Samples samples = new Samples();
    double[] r =
        parallel((c, index, s, deadline) -> new Loads(c, oids, s, deadline).run(inFlight), samples);
    return loadsResult("read", r, samples);
  }

  /**
   * One connection's pipelined loads: each reply sends the next request from the network thread
   * that received it, until the deadline (a thread waiting for room in a window, woken for every
   * reply, cost the generator a quarter of its network threads' time).
   */
  private static final class Loads {
    private final ZeoClient c;
    private final List<Oid> oids;
    private final Samples samples;
    private final long deadline;
    private final AtomicLong done = new AtomicLong();
    private final AtomicInteger outstanding = new AtomicInteger(1); // 1: held by run until started
    private final CompletableFuture<Long> finished = new CompletableFuture<>();

    Loads(ZeoClient c, List<Oid> oids, Samples samples, long deadline) {
      this.c = c;
      this.oids = oids;
      this.samples = samples;
      this.deadline = deadline;
    }

    /** Starts {@code inFlight} loads and waits until the last one is answered. */
    long run(int inFlight) throws Exception {
      for (int i = 0; i < inFlight && !finished.isDone(); i++) {
        load();
      }
      settle();
      return finished.get();
    }

    private void load() {
      outstanding.incrementAndGet();
      Oid oid = oids.get(ThreadLocalRandom.current().nextInt(oids.size()));
      long start = System.nanoTime();
      c.call(id -> new LoadBefore(id, oid, Tid.MAX))
          .whenComplete((v, e) -> {
            long now = System.nanoTime();
            samples.add(now - start);
            if (e != null) {
              finished.completeExceptionally(e);
            } else {
              done.incrementAndGet();
              if (now < deadline && !finished.isDone()) {
                load();
              }
            }
            settle();
          });
    }

    private void settle() {
      if (outstanding.decrementAndGet() == 0) {
        finished.complete(done.get());
      }
    }
  }

  private Result commit() throws Exception {
    Samples samples = new Samples();
    double[] r =
        parallel(
            (c, index, s, deadline) -> {
              Oid own = c.invoke(id -> new NewOids(id, 1)).getFirst();
              Tid serial = Tid.Z64;
              long done = 0;
              Bytes data = Bytes.wrap(new byte[100]);
              for (long txn = 1; System.nanoTime() < deadline; txn++) {
                long start = System.nanoTime();
                serial = commitOne(c, txn, List.of(own), serial, data);
                s.add(System.nanoTime() - start);
                done++;
              }
              return done;
            },
            samples);
    return commitsResult("commit", r, samples);
  }

  /** The result of a mix of commits from {@code r} ({count, seconds}) and their latencies. */
  private Result commitsResult(String mix, double[] r, Samples samples) {
    return new Result(
        mix,
        connections,
        r[1],
        (long) r[0],
        0,
        r[0] / r[1],
        0,
        0,
        percentile(samples, 0.5),
        percentile(samples, 0.99));
  }

  private Result rawRead() throws Exception {
    Samples samples = new Samples();
    double[] r = rawLoadsAll(smallObjects(), samples, duration, 1 << 16, inFlight);
    return loadsResult("raw-read", r, samples);
  }

  /** The result of a mix of small loads from {@code r} ({count, seconds}) and their latencies. */
  private Result loadsResult(String mix, double[] r, Samples samples) {
    return new Result(
        mix,
        connections,
        r[1],
        (long) r[0],
        r[0] / r[1],
        0,
        0,
        0,
        percentile(samples, 0.5),
        percentile(samples, 0.99));
  }

  /** One raw connection's work until {@code deadline}: how many operations it did. */
  private interface RawWorker {
    long run(InetSocketAddress a, int index, long deadline) throws IOException;
  }

  /** {@code w} on every connection for {@code time}: {operations, seconds}. */
  private double[] rawAll(Duration time, RawWorker w) throws Exception {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            connections, Thread.ofPlatform().name("zbig-bench-", 0).daemon().factory());
    try {
      long t0 = System.nanoTime();
      long deadline = t0 + time.toNanos();
      List<Future<Long>> fs = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        InetSocketAddress a = servers.get(i % servers.size());
        int index = i;
        fs.add(pool.submit(() -> w.run(a, index, deadline)));
      }
      long ops = 0;
      for (Future<Long> f : fs) {
        ops += f.get();
      }
      return new double[] {ops, (System.nanoTime() - t0) / 1e9};
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Raw loads of {@code oids} on every connection for {@code time}, replies of at most {@code
   * maxReply} bytes, {@code window} in flight on each: {operations, seconds}.
   */
  private double[] rawLoadsAll(
      List<Oid> oids, Samples samples, Duration time, int maxReply, int window) throws Exception {
    return rawAll(
        time,
        (a, index, deadline) -> rawLoads(a, oids, index, samples, deadline, maxReply, window));
  }

  /**
   * A connection of the cheap generator: a blocking socket, requests written as frames, replies
   * read as frames into one buffer and decoded only where the caller needs them.
   */
  private static final class Raw implements AutoCloseable {
    /** The method name of a reply ({@code .reply}, or {@code .replyerror}), as the frame has it. */
    private static final byte[] REPLY = ".reply".getBytes(StandardCharsets.US_ASCII);

    private final Socket socket;
    final DataInputStream in;
    final BufferedOutputStream out;
    final MessageCodec codec;
    final byte[] buf;
    private long skipped;

    /** Connects, answers the handshake and registers with {@code storage}. */
    Raw(InetSocketAddress a, String storage, boolean readOnly, int maxReply) throws IOException {
      socket = new Socket(a.getAddress(), a.getPort());
      try {
        socket.setTcpNoDelay(true);
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        buf = new byte[maxReply];
        int n = readFrame(in, buf);
        Encoding e = Handshake.clientChooses(Arrays.copyOf(buf, n));
        out.write(frame(Handshake.answer(e)));
        codec = new MessageCodec(e, Role.CLIENT);
        write(new Register(MsgId.of(1), storage, readOnly));
        out.flush();
        n = readFrame(in, buf);
        if (codec.decode(buf, 0, n) instanceof ErrorReply r) {
          throw r.toException();
        }
      } catch (IOException | RuntimeException e) {
        socket.close();
        throw e;
      }
    }

    void write(Message m) throws IOException {
      out.write(frame(codec.encodeToArray(m)));
    }

    /**
     * Sends {@code r} and returns its result. The frames read meanwhile that are not replies (the
     * server's calls: other connections' invalidations, {@code info}) are skipped undecoded, told
     * from replies by the method name near their start; one in 1,000 is decoded to check that.
     */
    <R> R call(SyncRequest<R> r) throws IOException {
      write(r);
      out.flush();
      for (; ; ) {
        int n = readFrame(in, buf);
        if (!startsAReply(buf, n) && skipped++ % 1000 != 0) {
          continue;
        }
        switch (codec.decode(buf, 0, n)) {
          case ErrorReply e -> throw e.toException();
          case Reply reply when reply.msgid().equals(r.msgid()) -> {
            return r.decodeResult(reply.value());
          }
          case ServerCall c -> {}
          case Message m -> throw new StorageException("expected the reply to " + r + ", got " + m);
        }
      }
    }

    private static boolean startsAReply(byte[] b, int n) {
      int end = Math.min(n, 64) - REPLY.length;
      for (int i = 0; i <= end; i++) {
        if (Arrays.equals(b, i, i + REPLY.length, REPLY, 0, REPLY.length)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** One raw connection: handshake, register read-only, then pipelined loads until the deadline. */
  private long rawLoads(
      InetSocketAddress a,
      List<Oid> oids,
      int index,
      Samples samples,
      long deadline,
      int maxReply,
      int inFlight)
      throws IOException {
    try (Raw c = new Raw(a, options.storage(), true, maxReply)) {
      DataInputStream in = c.in;
      BufferedOutputStream out = c.out;
      MessageCodec codec = c.codec;
      byte[] buf = c.buf;
      byte[][] frames = new byte[oids.size()][];
      for (int i = 0; i < frames.length; i++) {
        frames[i] =
            frame(codec.encodeToArray(new LoadBefore(MsgId.of(2 + i), oids.get(i), Tid.MAX)));
      }
      Random random = new Random(index);
      long[] sent = new long[inFlight]; // send times, in order: replies come back in order
      int head = 0;
      int tail = 0;
      long done = 0;
      for (int i = 0; i < inFlight; i++) {
        out.write(frames[random.nextInt(frames.length)]);
        sent[tail++ % inFlight] = System.nanoTime();
      }
      out.flush();
      boolean more = true;
      while (head < tail) {
        int n = readFrame(in, buf);
        long now = System.nanoTime();
        if (done % 1000 == 0 && !(codec.decode(buf, 0, n) instanceof Reply)) {
          throw new StorageException("not a reply: " + codec.decode(buf, 0, n));
        }
        samples.add(now - sent[head++ % inFlight]);
        done++;
        more = more && now < deadline;
        if (more) {
          out.write(frames[random.nextInt(frames.length)]);
          sent[tail++ % inFlight] = System.nanoTime();
        }
        if (in.available() == 0) {
          out.flush();
        }
      }
      return done;
    }
  }

  /**
   * As {@link #commit}, from the cheap generator: one thread and raw connection per committer, each
   * committing its own small object; the other connections' invalidations are read as frames and
   * skipped, where a ZEO client decodes each one.
   */
  private Result rawCommit() throws Exception {
    Samples samples = new Samples();
    double[] r = rawAll(duration, (a, index, deadline) -> rawCommits(a, samples, deadline));
    return commitsResult("raw-commit", r, samples);
  }

  private long rawCommits(InetSocketAddress a, Samples samples, long deadline) throws IOException {
    try (Raw c = new Raw(a, options.storage(), false, 1 << 16)) {
      long id = 2;
      Oid own = c.call(new NewOids(MsgId.of(id++), 1)).getFirst();
      Tid serial = Tid.Z64;
      Bytes data = Bytes.wrap(new byte[100]);
      long done = 0;
      for (long txn = 1; System.nanoTime() < deadline; txn++) {
        long start = System.nanoTime();
        c.write(new TpcBegin(txn, Bytes.EMPTY, Bytes.utf8("zbig bench"), Map.of(), null, " "));
        c.write(new StoreA(own, serial, data, txn));
        VoteResult v = c.call(new Vote(MsgId.of(id++), txn));
        if (!v.conflicts().isEmpty()) {
          throw new StorageException("unexpected conflict in the benchmark on " + v.conflicts());
        }
        serial = c.call(new TpcFinish(MsgId.of(id++), txn));
        samples.add(System.nanoTime() - start);
        done++;
      }
      return done;
    }
  }

  private static int readFrame(DataInputStream in, byte[] buf) throws IOException {
    int n = in.readInt();
    if (n > buf.length) {
      throw new StorageException("reply of " + n + " bytes (expected: <= " + buf.length + ")");
    }
    in.readFully(buf, 0, n);
    return n;
  }

  private static byte[] frame(byte[] payload) {
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  /** As {@link #big}, the loads from raw connections that read replies as frames. */
  private Result rawBig() throws Exception {
    List<List<Oid>> stored = new ArrayList<>();
    double[] w = storeBig(stored);
    List<Oid> all = new ArrayList<>();
    stored.forEach(all::addAll);
    Samples samples = new Samples();
    double[] l =
        rawLoadsAll(all, samples, duration.dividedBy(2), BIG + (64 << 10), Math.min(4, inFlight));
    return bigResult("raw-big", w, l, samples);
  }

  /**
   * The store half of the big mixes: 2 MiB records, one per transaction; their oids by connection.
   */
  private double[] storeBig(List<List<Oid>> stored) throws Exception {
    byte[] random = new byte[BIG];
    new Random(1).nextBytes(random);
    Samples storeSamples = new Samples();
    for (int i = 0; i < connections; i++) {
      stored.add(Collections.synchronizedList(new ArrayList<>()));
    }
    return half()
        .parallel(
            (c, index, s, deadline) -> {
              // each record distinct, so that a server with dedup on stores all of each: its
              // connection and transaction in every 4 KiB (the last commit is answered before the
              // next marks, so nothing reads the block then)
              byte[] block = random.clone();
              ByteBuffer marks = ByteBuffer.wrap(block);
              Bytes data = Bytes.wrap(block);
              long done = 0;
              for (long txn = 1; System.nanoTime() < deadline || done == 0; txn++) {
                Oid oid = c.invoke(id -> new NewOids(id, 1)).getFirst();
                for (int at = 0; at + 16 <= BIG; at += 4096) {
                  marks.putLong(at, index).putLong(at + 8, txn);
                }
                long start = System.nanoTime();
                commitOne(c, txn, List.of(oid), Tid.Z64, data);
                s.add(System.nanoTime() - start);
                stored.get(index).add(oid);
                done++;
              }
              return done;
            },
            storeSamples);
  }

  /** A bench like this one for half its duration: each half of the big mixes. */
  private ServerBench half() {
    ServerBench b =
        new ServerBench(
            servers,
            options.storage(),
            connections,
            duration.dividedBy(2),
            inFlight,
            networkThreads);
    b.loops = loops;
    return b;
  }

  private Result big() throws Exception {
    List<List<Oid>> stored = new ArrayList<>();
    double[] w = storeBig(stored);
    Samples loadSamples = new Samples();
    double[] l =
        half()
            .parallel(
                (c, index, s, deadline) -> {
                  List<Oid> mine = stored.get(index);
                  long done = 0;
                  for (int i = 0; System.nanoTime() < deadline || done == 0; i++) {
                    Oid oid = mine.get(i % mine.size());
                    long start = System.nanoTime();
                    LoadResult got = c.invoke(id -> new LoadBefore(id, oid, Tid.MAX)).orElseThrow();
                    if (got.data().length() != BIG) {
                      throw new StorageException(
                          "loaded " + got.data().length() + " bytes of " + oid);
                    }
                    s.add(System.nanoTime() - start);
                    done++;
                  }
                  return done;
                },
                loadSamples);
    return bigResult("big", w, l, loadSamples);
  }

  /**
   * The result of a big mix from its store half {@code w} and load half {@code l} (each {count,
   * seconds}): 2 MiB records, MB/s each way, load latencies from {@code samples}.
   */
  private Result bigResult(String mix, double[] w, double[] l, Samples samples) {
    double mb = BIG / 1e6;
    return new Result(
        mix,
        connections,
        w[1] + l[1],
        (long) (w[0] + l[0]),
        0,
        w[0] / w[1],
        w[0] * mb / w[1],
        l[0] * mb / l[1],
        percentile(samples, 0.5),
        percentile(samples, 0.99));
  }
}
