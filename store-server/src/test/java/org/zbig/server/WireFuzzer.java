package org.zbig.server;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.zbig.wire.Encoding;
import org.zbig.wire.Handshake;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.Ping;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.Role;
import org.zbig.wire.vectors.ZeoVectors;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * A fuzzer of the wire protocol, a test-scope tool run against a live server over loopback: {@link
 * WireFuzzTest} runs a short version in CI, {@link #main} runs it by hand against any server.
 * Several connections send frames made from the recorded client frames of a real Python ZEO client
 * ({@code testvectors/zeo}, in the server's encoding), mutated: truncated, bits flipped, bytes
 * replaced or inserted, two frames spliced, a huge declared length, deep nesting, and, on the
 * decoded message, arguments dropped, added or replaced by values of other types, methods swapped
 * (so every method gets the arguments of others) and odd msgids. After each frame a {@code ping}
 * tells whether the server kept the connection (its answer comes) or closed it (then it is opened
 * again), so every frame counts. {@code pack} is left out: a pack rightly removes what the fuzzed
 * commits left unreachable, and the caller checks that data it stored before stays as it was.
 * Meanwhile a control connection sends {@code ping} every few milliseconds and records its worst
 * round trip.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -Pbench -pl store-server test-compile exec:exec -Dbench.main=org.zbig.server.WireFuzzer \
 *   -Dbench=HOST:PORT,FRAMES[,CONNECTIONS[,SEED]]
 * </pre>
 */
public final class WireFuzzer {
  private WireFuzzer() {}

  /** What a run did. */
  public record Report(
      long frames,
      long reconnects,
      long stalled,
      long controlPings,
      long worstControlMicros,
      double seconds,
      long seed,
      Encoding encoding) {
    @Override
    public String toString() {
      return String.format(
          "%d frames in %.1f s (%.0f frames/s, %s), %d connections closed by the server and"
              + " opened again, %d left after 5 s without an answer; control: %d pings, worst"
              + " %.1f ms; seed %d",
          frames,
          seconds,
          frames / seconds,
          encoding,
          reconnects,
          stalled,
          controlPings,
          worstControlMicros / 1e3,
          seed);
    }
  }

  /** Runs by hand: {@code HOST:PORT,FRAMES[,CONNECTIONS[,SEED]]}. */
  public static void main(String[] args) throws Exception {
    String[] a = args[0].split(",");
    String[] hp = a[0].split(":");
    long frames = Long.parseLong(a[1]);
    int connections = a.length > 2 ? Integer.parseInt(a[2]) : 4;
    long seed = a.length > 3 ? Long.parseLong(a[3]) : System.nanoTime();
    Report r =
        run(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), frames, connections, seed, "1");
    System.out.println(r);
  }

  /**
   * Sends {@code frames} fuzzed frames over {@code connections} connections to the server at {@code
   * address} (storage {@code storage}), with a control connection pinging meanwhile.
   *
   * @throws IllegalStateException if the control connection fails (the server stopped answering)
   */
  public static Report run(
      InetSocketAddress address, long frames, int connections, long seed, String storage)
      throws InterruptedException {
    Encoding encoding;
    try (Conn probe = new Conn(address, storage)) {
      encoding = probe.codec.encoding();
    }
    List<Seed> seeds = seeds(encoding);
    AtomicLong sent = new AtomicLong();
    AtomicLong reconnects = new AtomicLong();
    AtomicLong stalled = new AtomicLong();
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong worst = new AtomicLong();
    AtomicLong pings = new AtomicLong();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    long t0 = System.nanoTime();
    Thread control =
        Thread.ofPlatform()
            .name("fuzz-control")
            .start(() -> {
              try (Conn c = new Conn(address, storage)) {
                c.socket.setSoTimeout(30_000);
                long id = 1_000_000;
                while (!done.get()) {
                  long s = System.nanoTime();
                  MsgId mine = MsgId.of(id++);
                  c.write(c.codec.encodeToArray(new Ping(mine)));
                  for (; ; ) { // its reply; invalidations of the fuzzers' commits may come first
                    byte[] f = c.readFrame();
                    if (c.codec.decode(f, 0, f.length) instanceof Reply rep
                        && rep.msgid().equals(mine)) {
                      break;
                    }
                  }
                  worst.accumulateAndGet((System.nanoTime() - s) / 1000, Math::max);
                  pings.incrementAndGet();
                  Thread.sleep(5);
                }
              } catch (Exception e) {
                failures.add(new IllegalStateException("the control connection failed", e));
              }
            });
    List<Thread> fuzzers = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      long share = frames / connections + (i < frames % connections ? 1 : 0);
      Random r = new Random(seed + i);
      fuzzers.add(
          Thread.ofPlatform()
              .name("fuzz-" + i)
              .start(() -> {
                Conn c = null;
                try {
                  for (long n = 0; n < share; n++) {
                    if (c == null) {
                      c = new Conn(address, storage);
                    }
                    byte[] frame = mutate(r, seeds, c.codec);
                    sent.incrementAndGet();
                    // the frame, then a ping: its answer says the server is done with the frame
                    // and kept the connection; otherwise it closed it (or the frame left it
                    // waiting, as a vote behind another connection's locks may)
                    Boolean kept = c.sendAndConfirm(frame);
                    if (!Boolean.TRUE.equals(kept)) {
                      if (kept == null) {
                        stalled.incrementAndGet();
                      } else {
                        reconnects.incrementAndGet();
                      }
                      c.close();
                      c = null;
                    }
                  }
                } catch (RuntimeException e) {
                  failures.add(e);
                } finally {
                  if (c != null) {
                    c.close();
                  }
                }
              }));
    }
    for (Thread t : fuzzers) {
      t.join();
    }
    done.set(true);
    control.join();
    if (!failures.isEmpty()) {
      IllegalStateException e =
          new IllegalStateException("fuzzing with seed " + seed + " failed", failures.getFirst());
      failures.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
    return new Report(
        sent.get(),
        reconnects.get(),
        stalled.get(),
        pings.get(),
        worst.get(),
        (System.nanoTime() - t0) / 1e9,
        seed,
        encoding);
  }

  /** A recorded client frame: its payload, and its value when it decodes. */
  private record Seed(byte[] payload, Object value) {}

  private static List<Seed> seeds(Encoding encoding) {
    MessageCodec server = new MessageCodec(encoding, Role.SERVER);
    List<Seed> out = new ArrayList<>();
    ZeoVectors.messages()
        .filter(f -> f.fromClient() && f.encoding() == encoding)
        .forEach(f -> {
          byte[] p = f.payload();
          Object v;
          try {
            v = server.decodeValue(p, 0, p.length);
          } catch (RuntimeException e) {
            v = null;
          }
          if (!f.decoded().toString().contains("\"pack\"")) { // the method's name
            out.add(new Seed(p, v));
          }
        });
    if (out.isEmpty()) {
      throw new IllegalStateException("no recorded client frames in " + encoding);
    }
    return out;
  }

  /** One fuzzed frame, length prefix included. */
  static byte[] mutate(Random r, List<Seed> seeds, MessageCodec codec) {
    Seed s = seeds.get(r.nextInt(seeds.size()));
    byte[] p = s.payload.clone();
    switch (r.nextInt(12)) {
      case 0 -> {} // as recorded, out of its context
      case 1 -> p = Arrays.copyOf(p, r.nextInt(p.length + 1)); // truncated
      case 2 -> {
        for (int i = 1 + r.nextInt(8); i > 0 && p.length > 0; i--) {
          p[r.nextInt(p.length)] ^= (byte) (1 << r.nextInt(8));
        }
      }
      case 3 -> {
        if (p.length > 0) {
          p[r.nextInt(p.length)] = (byte) r.nextInt(256);
        }
      }
      case 4 -> { // random bytes inserted
        int at = r.nextInt(p.length + 1);
        byte[] junk = new byte[1 + r.nextInt(16)];
        r.nextBytes(junk);
        byte[] q = new byte[p.length + junk.length];
        System.arraycopy(p, 0, q, 0, at);
        System.arraycopy(junk, 0, q, at, junk.length);
        System.arraycopy(p, at, q, at + junk.length, p.length - at);
        p = q;
      }
      case 5 -> { // the head of one frame, the tail of another
        byte[] o = seeds.get(r.nextInt(seeds.size())).payload;
        int a = r.nextInt(p.length + 1);
        int b = r.nextInt(o.length + 1);
        byte[] q = Arrays.copyOf(p, a + o.length - b);
        System.arraycopy(o, b, q, a, o.length - b);
        p = q;
      }
      case 6 -> { // a declared length far beyond any frame limit, then a few bytes
        byte[] f = new byte[4 + Math.min(p.length, 16)];
        java.nio.ByteBuffer.wrap(f).putInt(0x7fff_fff0 - r.nextInt(1 << 20));
        System.arraycopy(p, 0, f, 4, f.length - 4);
        return f;
      }
      case 7 -> p = deep(r, codec.encoding());
      default -> { // 8..11: the decoded message with its parts changed
        byte[] q = s.value == null ? null : reshaped(r, s.value, seeds, codec);
        if (q != null) {
          p = q;
        }
      }
    }
    byte[] f = new byte[4 + p.length];
    java.nio.ByteBuffer.wrap(f).putInt(p.length).put(p);
    return f;
  }

  /** Nesting of thousands of levels, in the encoding's own bytes. */
  private static byte[] deep(Random r, Encoding e) {
    int depth = 1 + r.nextInt(100_000);
    byte[] p;
    if (e == Encoding.PICKLE) {
      p = new byte[2 + depth + 2];
      p[0] = (byte) 0x80;
      p[1] = 3;
      Arrays.fill(p, 2, 2 + depth, (byte) ']'); // EMPTY_LIST, never closed
      p[p.length - 2] = 'N';
      p[p.length - 1] = '.';
    } else {
      p = new byte[depth + 1];
      Arrays.fill(p, 0, depth, (byte) 0x91); // arrays of one
      p[depth] = (byte) 0xc0;
    }
    return p;
  }

  private static final String[] METHODS = {
    "register",
    "loadBefore",
    "loadSerial",
    "storea",
    "tpc_begin",
    "vote",
    "tpc_finish",
    "tpc_abort",
    "new_oids",
    "lastTransaction",
    "get_info",
    "ping",
    "history",
    "undo",
    "undoLog",
    "undoInfo",
    "undoa",
    "iterator_start",
    "iterator_next",
    "iterator_record_start",
    "iterator_record_next",
    "iterator_gc",
    "checkCurrentSerialInTransaction",
    "deleteObject",
    "restorea",
    "storeBlobStart",
    "storeBlobChunk",
    "storeBlobEnd",
    "storeBlobShared",
    "sendBlob",
    "getInvalidations",
    "server_status",
    "set_client_label",
    "record_iternext",
    "getTid"
  };

  /** The message's value with a part changed, encoded again; null if it cannot be encoded. */
  private static byte[] reshaped(Random r, Object value, List<Seed> seeds, MessageCodec codec) {
    List<Object> msg = parts(value);
    if (msg == null || msg.size() < 4) {
      return null;
    }
    List<Object> args = parts(msg.get(3));
    args = args == null ? new ArrayList<>() : new ArrayList<>(args);
    switch (r.nextInt(6)) {
      case 0 -> {
        if (!args.isEmpty()) {
          args.remove(r.nextInt(args.size()));
        }
      }
      case 1 -> args.add(r.nextInt(args.size() + 1), randomValue(r, 3));
      case 2 -> {
        if (!args.isEmpty()) {
          args.set(r.nextInt(args.size()), randomValue(r, 3));
        }
      }
      case 3 -> msg.set(2, METHODS[r.nextInt(METHODS.length)]); // another method's arguments
      case 4 -> msg.set(0, randomValue(r, 2)); // an odd msgid
      default -> {
        List<Object> other = parts(seeds.get(r.nextInt(seeds.size())).value);
        if (other != null && other.size() >= 4) {
          msg.set(3, other.get(3)); // another message's arguments
          msg.set(2, METHODS[r.nextInt(METHODS.length)]);
          return encode(codec, msg);
        }
      }
    }
    msg.set(3, Tuple.of(args.toArray()));
    return encode(codec, msg);
  }

  private static byte[] encode(MessageCodec codec, List<Object> msg) {
    try {
      return codec.encodeValueToArray(Tuple.of(msg.toArray()));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static List<Object> parts(Object v) {
    return switch (v) {
      case Tuple t -> {
        List<Object> l = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
          l.add(t.get(i));
        }
        yield l;
      }
      case List<?> l -> new ArrayList<>(l);
      case null, default -> null;
    };
  }

  private static Object randomValue(Random r, int depth) {
    int k = r.nextInt(depth > 0 ? 12 : 9);
    return switch (k) {
      case 0 -> null;
      case 1 -> r.nextLong();
      case 2 -> new BigInteger(64 + r.nextInt(512), r);
      case 3 -> r.nextBoolean();
      case 4 -> r.nextDouble();
      case 5 -> {
        byte[] b = new byte[r.nextInt(r.nextBoolean() ? 9 : 300)];
        r.nextBytes(b);
        yield Bytes.wrap(b);
      }
      case 6 -> "s" + r.nextInt(1000);
      case 7 -> (long) r.nextInt(3) - 1;
      case 8 -> Bytes.wrap(new byte[8]);
      case 9 -> {
        Object[] items = new Object[r.nextInt(5)];
        for (int i = 0; i < items.length; i++) {
          items[i] = randomValue(r, depth - 1);
        }
        yield Tuple.of(items);
      }
      case 10 -> {
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
          l.add(randomValue(r, depth - 1));
        }
        yield l;
      }
      default -> {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = r.nextInt(4); i > 0; i--) {
          m.put("k" + r.nextInt(100), randomValue(r, depth - 1));
        }
        yield m;
      }
    };
  }

  /** A registered connection. */
  private static final class Conn implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final MessageCodec codec;
    private long pingId = 1L << 40;

    Conn(InetSocketAddress address, String storage) {
      try {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream()));
        Encoding e = Handshake.clientChooses(readFrame());
        write(Handshake.answer(e));
        codec = new MessageCodec(e, Role.CLIENT);
        write(codec.encodeToArray(new Register(MsgId.of(0), storage, false)));
        readFrame(); // register's reply
        socket.setSoTimeout(5_000);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot connect to " + address, e);
      }
    }

    byte[] readFrame() throws IOException {
      int n = in.readInt();
      byte[] b = new byte[n];
      in.readFully(b);
      return b;
    }

    void write(byte[] payload) throws IOException {
      out.writeInt(payload.length);
      out.write(payload);
      out.flush();
    }

    /**
     * Writes a whole frame and a ping: true once the ping's answer came (the connection stays),
     * false if the server closed the connection, null if no answer came within 5 s.
     */
    Boolean sendAndConfirm(byte[] frame) {
      MsgId mine = MsgId.of(pingId++);
      try {
        out.write(frame);
        write(codec.encodeToArray(new Ping(mine)));
        for (; ; ) {
          byte[] f = readFrame();
          Object m;
          try {
            m = codec.decode(f, 0, f.length);
          } catch (RuntimeException notOurs) {
            continue; // a reply to the fuzzed frame that our client codec does not model
          }
          if (m instanceof Reply rep && rep.msgid().equals(mine)) {
            return true;
          }
        }
      } catch (java.net.SocketTimeoutException e) {
        return null;
      } catch (IOException e) {
        return false;
      }
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
