package org.zbig.client.zeo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.zbig.wire.Encoding;
import org.zbig.wire.GetInfo;
import org.zbig.wire.Handshake;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.MalformedReplyException;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.Register;
import org.zbig.wire.Role;
import org.zbig.zblk.ZBlk0Codec;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.storage.LoadResult;

/**
 * A hostile server answers the client's loads with memo bombs (a few hundred bytes standing for a
 * tuple of 2^40 leaves) and with values nested 100,000 deep, as reply values and as msgids: the
 * call fails within a second with an error that says what was wrong, and the client stays usable.
 */
class HostileServerTest {
  private static final Tid LAST = new Tid(100);
  private static final Bytes DATA = Bytes.utf8("fine");

  /** What the fake server sends for the next loadBefore, given the request's msgid. */
  @FunctionalInterface
  interface Answer {
    byte[] frame(MessageCodec codec, LoadBefore request);

    /** Writes the answer (the frame, whole). */
    default void send(MessageCodec codec, LoadBefore request, DataOutputStream out)
        throws IOException, InterruptedException {
      write(out, frame(codec, request));
    }
  }

  /** A scripted server: handshake, register, get_info, then loads answered as the test says. */
  private static final class FakeServer implements AutoCloseable {
    final ServerSocket listener = new ServerSocket(0);
    final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    final AtomicInteger connections = new AtomicInteger();

    FakeServer(Encoding encoding) throws IOException {
      Thread.ofPlatform()
          .daemon()
          .start(() -> {
            while (!listener.isClosed()) {
              try (Socket s = listener.accept()) {
                connections.incrementAndGet();
                serve(s, encoding);
              } catch (IOException | InterruptedException e) {
                // the client went away, or the test ended: take the next connection
              }
            }
          });
    }

    private void serve(Socket s, Encoding encoding) throws IOException, InterruptedException {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      MessageCodec codec = new MessageCodec(encoding, Role.SERVER);
      write(out, Handshake.offer(encoding));
      read(in);
      for (; ; ) {
        byte[] f = read(in);
        Message m = codec.decode(f, 0, f.length);
        switch (m) {
          case Register r -> write(out, codec.encodeToArray(r.reply(Optional.of(LAST))));
          case GetInfo r -> write(out, codec.encodeToArray(r.reply(Map.of())));
          case LoadBefore r -> answers.take().send(codec, r, out);
          default -> {}
        }
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

  private static byte[] read(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return b;
  }

  private static void write(DataOutputStream out, byte[] payload) throws IOException {
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  // ---- hostile frames ----

  /** {@code (msgid, 0, '.reply', value)} as a protocol-3 pickle, the parts written by hand. */
  private static byte[] pickleReply(Runnable msgid, Runnable value, ByteArrayOutputStream b) {
    b.write(0x80);
    b.write(3);
    b.write('(');
    msgid.run();
    b.write('K');
    b.write(0);
    byte[] name = ".reply".getBytes(StandardCharsets.US_ASCII);
    b.write('X');
    b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(name.length).array());
    b.writeBytes(name);
    value.run();
    b.write('t');
    b.write('.');
    return b.toByteArray();
  }

  private static void int4(ByteArrayOutputStream b, long v) {
    b.write('J');
    b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
  }

  /** A tuple DAG of 2^40 leaves in 8 bytes a level: each level is the one below, twice. */
  private static void bomb(ByteArrayOutputStream b) {
    b.writeBytes(new byte[] {'N', 'q', 0, '0'});
    for (int i = 1; i <= 40; i++) {
      b.writeBytes(
          new byte[] {'h', (byte) (i - 1), 'h', (byte) (i - 1), (byte) 0x86, 'q', (byte) i, '0'});
    }
    b.writeBytes(new byte[] {'h', 40});
  }

  private static void deep(ByteArrayOutputStream b) {
    b.write('N');
    for (int i = 0; i < 100_000; i++) {
      b.write(0x85);
    }
  }

  private static long id(LoadBefore r) {
    return (Long) r.msgid().value();
  }

  private static Answer pickled(boolean bombAsMsgid, boolean deepValue) {
    return (codec, r) -> {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      return pickleReply(
          bombAsMsgid ? () -> bomb(b) : () -> int4(b, id(r)),
          deepValue ? () -> deep(b) : () -> bomb(b),
          b);
    };
  }

  private static Answer msgpackDeep(boolean asMsgid) {
    return (codec, r) -> {
      try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
        p.packArrayHeader(4);
        if (asMsgid) {
          for (int i = 0; i < 100_000; i++) {
            p.packArrayHeader(1);
          }
          p.packNil();
        } else {
          p.packLong(id(r));
        }
        p.packInt(0);
        p.packString(".reply");
        for (int i = 0; i < 100_000; i++) {
          p.packArrayHeader(1);
        }
        p.packNil();
        return p.toByteArray();
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    };
  }

  private static final Answer FINE =
      (codec, r) -> codec.encodeToArray(r.reply(Optional.of(new LoadResult(DATA, LAST, null))));

  private static ZeoClient open(FakeServer server) {
    return ZeoClient.open(
        server.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10)),
        new ZeoClientTest.Recorder());
  }

  /** A client whose calls time out after 400 ms. */
  private static ZeoClient openTimingOut(FakeServer server) {
    return ZeoClient.open(
        server.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofMillis(400)),
        new ZeoClientTest.Recorder());
  }

  private static CompletableFuture<Optional<LoadResult>> load(ZeoClient c) {
    return c.call(id -> new LoadBefore(id, new Oid(1), Tid.MAX));
  }

  private static void assertUsable(FakeServer server, ZeoClient c) throws Exception {
    assertThat(c.awaitConnected(10_000)).isTrue();
    server.answers.add(FINE);
    assertThat(load(c).get(10, TimeUnit.SECONDS)).contains(new LoadResult(DATA, LAST, null));
  }

  @Test
  void bombsAndDeepValuesInRepliesFailTheCallAndTheClientStaysUsable() throws Exception {
    try (FakeServer server = new FakeServer(Encoding.PICKLE);
        ZeoClient c = open(server)) {
      for (boolean deep : new boolean[] {false, true}) {
        server.answers.add(pickled(false, deep));
        long t0 = System.nanoTime();
        CompletableFuture<Optional<LoadResult>> f = load(c);
        assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS))
            .hasCauseInstanceOf(MalformedReplyException.class)
            .hasMessageContaining(deep ? "nested deeper than" : "shared parts are counted");
        assertThat(System.nanoTime() - t0).isLessThan(1_000_000_000L);
        assertUsable(server, c);
      }
      assertThat(server.connections.get()).as("the connection stayed").isEqualTo(1);
      // a bomb as msgid: no call can be named, so the connection is dropped and made again
      server.answers.add(pickled(true, false));
      CompletableFuture<Optional<LoadResult>> f = load(c);
      assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ClientDisconnectedException.class);
      assertUsable(server, c);
      assertThat(server.connections.get()).isEqualTo(2);
    }
  }

  @Test
  void aSinkGetsNoByteOnceItsCallTimedOutThoughTheReplyGoesOnArriving() throws Exception {
    byte[] data = new byte[200_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i % 251 + 1);
    }
    byte[] record =
        new DataRecord(ClassMeta.of("wendelin.bigfile.file_zodb.ZBlk0"), Bytes.wrap(data)).encode();
    CountDownLatch failed = new CountDownLatch(1);
    Answer halfThenRest =
        new Answer() {
          @Override
          public byte[] frame(MessageCodec codec, LoadBefore r) {
            return codec.encodeToArray(
                r.reply(Optional.of(new LoadResult(Bytes.wrap(record), LAST, null))));
          }

          @Override
          public void send(MessageCodec codec, LoadBefore r, DataOutputStream out)
              throws IOException, InterruptedException {
            byte[] f = frame(codec, r);
            out.writeInt(f.length);
            out.write(f, 0, 100_000);
            out.flush();
            failed.await(); // until the client's call has failed: the race, made to happen
            out.write(f, 100_000, f.length - 100_000);
            out.flush();
          }
        };
    try (FakeServer server = new FakeServer(Encoding.PICKLE);
        ZeoClient c = openTimingOut(server);
        Arena arena = Arena.ofShared()) {
      assertThat(c.awaitConnected(10_000)).isTrue();
      server.answers.add(halfThenRest);
      MemorySegment into = arena.allocate(256 << 10).fill((byte) 0);
      ZeoClient.Sink sink = new ZeoClient.Sink(into, ZBlk0Codec.recordPrefix());
      CompletableFuture<Optional<LoadResult>> f = c.loadBeforeInto(new Oid(1), Tid.MAX, sink, null);
      assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TimeoutException.class);
      byte[] before = into.toArray(ValueLayout.JAVA_BYTE);
      assertThat(Arrays.copyOf(before, 50_000))
          .as("the first part went into the sink as it arrived")
          .isEqualTo(Arrays.copyOf(data, 50_000));
      failed.countDown();
      server.answers.add(FINE);
      assertThat(load(c).get(10, TimeUnit.SECONDS)).contains(new LoadResult(DATA, LAST, null));
      assertThat(into.toArray(ValueLayout.JAVA_BYTE))
          .as("nothing written after the call failed")
          .isEqualTo(before);
      assertThat(before[150_000]).isZero();
      assertThat(sink.filled()).isEqualTo(-1);
      assertThat(server.connections.get()).as("the stream stayed in step").isEqualTo(1);
    }
  }

  @Test
  void aCallTheServerNeverAnswersTimesOutAndTheClientStaysUsable() throws Exception {
    try (FakeServer server = new FakeServer(Encoding.PICKLE);
        ZeoClient c = openTimingOut(server)) {
      long t0 = System.nanoTime();
      CompletableFuture<Optional<LoadResult>> f = load(c);
      assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TimeoutException.class);
      long waited = System.nanoTime() - t0;
      assertThat(waited)
          .as("failed after the request timeout")
          .isGreaterThanOrEqualTo(400_000_000L);
      assertThat(waited).as("and soon after it").isLessThan(2_000_000_000L);
      // the late answer to the call that timed out is dropped; the next call gets its own
      server.answers.add(FINE);
      assertUsable(server, c);
      assertThat(server.connections.get()).as("the connection stayed").isEqualTo(1);
    }
  }

  @Test
  void deepMsgpackRepliesFailTheCallAndTheClientStaysUsable() throws Exception {
    try (FakeServer server = new FakeServer(Encoding.MSGPACK);
        ZeoClient c = open(server)) {
      server.answers.add(msgpackDeep(false));
      CompletableFuture<Optional<LoadResult>> f = load(c);
      assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS))
          .hasCauseInstanceOf(MalformedReplyException.class)
          .hasMessageContaining("nested deeper than 64 levels");
      assertUsable(server, c);
      assertThat(server.connections.get()).as("the connection stayed").isEqualTo(1);
      server.answers.add(msgpackDeep(true));
      CompletableFuture<Optional<LoadResult>> g = load(c);
      assertThatThrownBy(() -> g.get(1, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ClientDisconnectedException.class);
      assertUsable(server, c);
      assertThat(server.connections.get()).isEqualTo(2);
    }
  }

  @Test
  void aMalformedReplyNamesWhatWasWrong() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] f = pickleReply(() -> int4(b, 5), () -> bomb(b), b);
    MessageCodec codec = new MessageCodec(Encoding.PICKLE, Role.CLIENT);
    assertThatThrownBy(() -> codec.decode(f, 0, f.length))
        .isInstanceOf(MalformedReplyException.class)
        .hasMessageContaining("reply to msgid 5")
        .hasMessageContaining("more than " + (2L * f.length + 64) + " values");
    assertThat(List.of(f.length)).allMatch(n -> n < 400);
  }
}
