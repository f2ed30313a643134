package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.NettyRuntime;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.zbig.wire.CheckCurrentSerial;
import org.zbig.wire.DeleteObject;
import org.zbig.wire.Encoding;
import org.zbig.wire.ErrorReply;
import org.zbig.wire.GetInfo;
import org.zbig.wire.GetInvalidations;
import org.zbig.wire.GetTid;
import org.zbig.wire.History;
import org.zbig.wire.IteratorGc;
import org.zbig.wire.IteratorNext;
import org.zbig.wire.IteratorRecordNext;
import org.zbig.wire.IteratorRecordStart;
import org.zbig.wire.IteratorStart;
import org.zbig.wire.LastTransaction;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.LoadSerial;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.NewOids;
import org.zbig.wire.OneWayRequest;
import org.zbig.wire.Pack;
import org.zbig.wire.Ping;
import org.zbig.wire.RecordIternext;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.Request;
import org.zbig.wire.RestoreA;
import org.zbig.wire.Role;
import org.zbig.wire.SendBlob;
import org.zbig.wire.ServerStatus;
import org.zbig.wire.SetClientLabel;
import org.zbig.wire.StoreA;
import org.zbig.wire.StoreBlobChunk;
import org.zbig.wire.StoreBlobEnd;
import org.zbig.wire.StoreBlobStart;
import org.zbig.wire.SyncRequest;
import org.zbig.wire.TpcAbort;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.UndoA;
import org.zbig.wire.UndoInfo;
import org.zbig.wire.UndoLog;
import org.zbig.wire.Vote;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * Values a hostile client sends that cost a naive server far more than their size: pickles whose
 * memo makes a few hundred bytes stand for a tuple of 2^40 leaves ("memo bombs"), nesting deeper
 * than any message, and None in every argument position of every method, in both encodings.
 *
 * <p>Each frame must be answered (an error reply, the connection staying) or its connection closed
 * within a second; meanwhile control connections on every event loop are pinged and must answer
 * within a second; the server's heap must not grow by more than a few MB.
 */
class HostileValuesTest {
  private static final long ONE_SECOND_NANOS = 1_000_000_000L;
  private static final int BOMB_LEVELS = 40;

  private ZeoServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  // ---- frames built by hand ----

  /** A protocol-3 pickle written opcode by opcode, with the memo tricks Python's pickler avoids. */
  static final class P {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    P op(int... bytes) {
      for (int x : bytes) {
        b.write(x);
      }
      return this;
    }

    P none() {
      return op('N');
    }

    P int1(int v) {
      return op('K', v);
    }

    P bool(boolean v) {
      return op(v ? 0x88 : 0x89);
    }

    P str(String s) {
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      op('X');
      b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(u.length).array());
      b.writeBytes(u);
      return this;
    }

    /**
     * A tuple DAG of {@code 2^levels} leaves in 8 bytes a level: each level is a pair of the one
     * below, fetched twice from the memo (each level is put in the memo and popped).
     */
    P bomb(int levels) {
      none().op('q', 0, '0');
      for (int i = 1; i <= levels; i++) {
        op('h', i - 1, 'h', i - 1, 0x86, 'q', i, '0');
      }
      return op('h', levels);
    }

    /** A tuple nested {@code levels} deep, one byte a level. */
    P deep(int levels) {
      none();
      for (int i = 0; i < levels; i++) {
        op(0x85);
      }
      return this;
    }

    byte[] frame(Runnable msgid, boolean oneWay, String method, List<Runnable> args) {
      op(0x80, 3, '(');
      msgid.run();
      bool(oneWay).str(method).op('(');
      args.forEach(Runnable::run);
      op('t', 't', '.');
      return b.toByteArray();
    }
  }

  /** Msgpack frames: arrays cannot share, but they can nest deeply. */
  static byte[] msgpackFrame(
      Object msgid, boolean oneWay, String method, int argCount, int deepAt, int depth) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(4);
      if (msgid == null) {
        p.packNil();
      } else if (msgid instanceof Long l) {
        p.packLong(l);
      } else {
        for (int i = 0; i < depth; i++) {
          p.packArrayHeader(1);
        }
        p.packNil();
      }
      p.packBoolean(oneWay);
      p.packString(method);
      p.packArrayHeader(argCount);
      for (int i = 0; i < argCount; i++) {
        if (i == deepAt) {
          for (int d = 0; d < depth; d++) {
            p.packArrayHeader(1);
          }
        }
        p.packNil();
      }
      return p.toByteArray();
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every method a client can call, with valid-looking arguments. */
  static List<Request> samples(IntFunction<MsgId> ids) {
    Oid oid = new Oid(1);
    Tid tid = new Tid(0x03F0_0000_0000_0000L);
    Bytes data = Bytes.utf8("data");
    List<Request> out = new ArrayList<>();
    out.add(new GetInfo(ids.apply(0)));
    out.add(new LastTransaction(ids.apply(1)));
    out.add(new GetInvalidations(ids.apply(2), tid));
    out.add(new Ping(ids.apply(3)));
    out.add(new ServerStatus(ids.apply(4)));
    out.add(new LoadBefore(ids.apply(5), oid, tid));
    out.add(new LoadSerial(ids.apply(6), oid, tid));
    out.add(new GetTid(ids.apply(7), oid));
    out.add(new History(ids.apply(8), oid, 5));
    out.add(new NewOids(ids.apply(9), 3));
    out.add(new RecordIternext(ids.apply(10), oid));
    out.add(new Vote(ids.apply(11), 1));
    out.add(new TpcFinish(ids.apply(12), 1));
    out.add(new TpcAbort(ids.apply(13), 1));
    out.add(new UndoLog(ids.apply(14), 0, 10));
    out.add(new UndoInfo(ids.apply(15), 0, 10, Map.of("user_name", "x")));
    out.add(new Pack(ids.apply(16), 1.0e12, true));
    out.add(new IteratorStart(ids.apply(17), null, null));
    out.add(new IteratorNext(ids.apply(18), 1));
    out.add(new IteratorRecordStart(ids.apply(19), 1, tid));
    out.add(new IteratorRecordNext(ids.apply(20), 1));
    out.add(new SendBlob(ids.apply(21), oid, tid));
    out.add(new Register(ids.apply(22), "1", false));
    out.add(new SetClientLabel("x"));
    out.add(new TpcBegin(1, Bytes.utf8("u"), Bytes.utf8("d"), Map.of(), null, " "));
    out.add(new StoreA(oid, Tid.Z64, data, 1));
    out.add(new CheckCurrentSerial(oid, tid, 1));
    out.add(new DeleteObject(oid, tid, 1));
    out.add(new RestoreA(oid, tid, data, null, 1));
    out.add(new UndoA(Bytes.utf8("AAAAAAAAAAE="), 1));
    out.add(new StoreBlobStart());
    out.add(new StoreBlobChunk(data));
    out.add(new StoreBlobEnd(oid, Tid.Z64, data, 1));
    out.add(new IteratorGc(List.of(1L)));
    return out;
  }

  // ---- the checks ----

  /** Pings connections on every event loop while hostile frames are sent, recording the worst. */
  private static final class Control implements AutoCloseable {
    final List<TestClient> clients = new ArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong worstNanos = new AtomicLong();
    final AtomicLong pings = new AtomicLong();
    final Thread thread;

    Control(ZeoServer server) {
      // connections are spread over the loops in turn: twice as many as loops reach each of them
      int loops = NettyRuntime.availableProcessors() * 2;
      for (int i = 0; i < 2 * loops; i++) {
        TestClient c = new TestClient(server.address());
        c.call(new Register(c.id(), "1", false));
        clients.add(c);
      }
      thread =
          Thread.ofPlatform()
              .name("control-pings")
              .start(() -> {
                while (running.get()) {
                  for (TestClient c : clients) {
                    long t0 = System.nanoTime();
                    c.call(new Ping(c.id()));
                    worstNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                    pings.incrementAndGet();
                  }
                }
              });
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      clients.forEach(TestClient::close);
    }
  }

  private TestClient registered(Encoding e) {
    TestClient c = new TestClient(server.address());
    assertThat(c.codec.encoding()).isEqualTo(e);
    c.call(new Register(c.id(), "1", false));
    return c;
  }

  /** The outcome of one hostile frame. */
  private record Outcome(String what, boolean closed, Message answer, long nanos) {}

  /**
   * Sends {@code frame} on a fresh connection, then a ping: the frame must be answered (sync) or
   * accepted or refused, and either the ping answered or the connection closed, within a second.
   */
  private Outcome send(Encoding e, String what, byte[] frame, long syncId) {
    try (TestClient c = registered(e)) {
      long t0 = System.nanoTime();
      c.writeFrame(frame);
      long pingId = c.nextId();
      Message answer = null;
      boolean closed = false;
      try {
        c.send(new Ping(MsgId.of(pingId)));
        for (; ; ) {
          Message m = c.next();
          if (m instanceof Reply r && r.msgid().equals(MsgId.of(pingId))) {
            break;
          }
          assertThat(answer).as(what + ": one answer").isNull();
          answer = m;
        }
      } catch (UncheckedIOException closedByServer) {
        closed = true;
      }
      long nanos = System.nanoTime() - t0;
      assertThat(nanos)
          .as(what + ": answered or closed within a second")
          .isLessThan(ONE_SECOND_NANOS);
      if (answer != null) {
        assertThat(answer).as(what).isInstanceOfAny(ErrorReply.class, Reply.class);
        if (syncId >= 0) {
          MsgId id = answer instanceof ErrorReply er ? er.msgid() : ((Reply) answer).msgid();
          assertThat(id).as(what).isEqualTo(MsgId.of(syncId));
        }
        if (answer instanceof ErrorReply er) {
          // a client's mistake is named, never an internal failure
          assertThat(er.className()).as(what).isNotEqualTo("ZODB.POSException.StorageError");
        }
      }
      return new Outcome(what, closed, answer, nanos);
    }
  }

  private static long usedHeapAfterGc() {
    MemoryMXBean m = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return m.getHeapMemoryUsage().getUsed();
  }

  private void start(Encoding e) throws InterruptedException {
    server = ZeoServer.start(ServerConfig.inMemory().withOffer(e));
  }

  @Test
  void memoBombsDeepNestingAndNonesInPickleFramesCostNoMoreThanTheirSize() throws Exception {
    start(Encoding.PICKLE);
    List<Outcome> outcomes = new ArrayList<>();
    long heap0;
    try (Control control = new Control(server)) {
      heap0 = usedHeapAfterGc();
      for (Request r : samples(MsgId::of)) {
        boolean oneWay = r instanceof OneWayRequest;
        int n = Math.max(1, r.args().size());
        for (int at = 0; at < n; at++) {
          final int bombAt = at;
          // a bomb in argument position `at`, None in the others
          P p = new P();
          List<Runnable> args = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            args.add(i == bombAt ? () -> p.bomb(BOMB_LEVELS) : p::none);
          }
          long id = oneWay ? 0 : 7;
          byte[] f = p.frame(() -> p.int1((int) id), oneWay, r.method(), args);
          assertThat(f.length).isLessThan(400);
          Outcome o = send(Encoding.PICKLE, r.method() + " bomb at " + at, f, oneWay ? -1 : id);
          if (!oneWay) {
            // the call is answered with its msgid, and the connection stays
            assertThat(o.closed()).as(o.what()).isFalse();
            assertThat(o.answer()).as(o.what()).isInstanceOf(ErrorReply.class);
            assertThat(String.valueOf(((ErrorReply) o.answer()).payload()))
                .as(o.what())
                .contains("once shared parts are counted");
          } else {
            assertThat(o.closed()).as(o.what()).isTrue();
          }
          outcomes.add(o);
          // nesting deeper than any message, one byte a level
          P q = new P();
          List<Runnable> deepArgs = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            deepArgs.add(i == bombAt ? () -> q.deep(100_000) : q::none);
          }
          outcomes.add(
              send(
                  Encoding.PICKLE,
                  r.method() + " deep at " + at,
                  q.frame(() -> q.int1((int) id), oneWay, r.method(), deepArgs),
                  oneWay ? -1 : id));
        }
        // the bomb as msgid, and deep nesting as msgid: closed (nothing to answer to)
        P p = new P();
        byte[] f = p.frame(() -> p.bomb(BOMB_LEVELS), oneWay, r.method(), List.of(p::none));
        Outcome o = send(Encoding.PICKLE, r.method() + " with a bomb as msgid", f, -1);
        assertThat(o.closed()).as(o.what()).isTrue();
        P q = new P();
        o =
            send(
                Encoding.PICKLE,
                r.method() + " with a deep msgid",
                q.frame(() -> q.deep(100_000), oneWay, r.method(), List.of(q::none)),
                -1);
        assertThat(o.closed()).as(o.what()).isTrue();
        // None as msgid
        P z = new P();
        o =
            send(
                Encoding.PICKLE,
                r.method() + " with None as msgid",
                z.frame(z::none, oneWay, r.method(), List.of(z::none)),
                -1);
        if (!oneWay) {
          assertThat(o.closed()).as(o.what()).isTrue();
        }
      }
      long heap1 = usedHeapAfterGc();
      assertThat(control.worstNanos.get())
          .as("worst control ping while hostile frames were handled")
          .isLessThan(ONE_SECOND_NANOS);
      assertThat(control.pings.get()).isGreaterThan(outcomes.size());
      assertThat(heap1 - heap0).as("heap growth").isLessThan(8L << 20);
      report("Z5", outcomes, control, heap1 - heap0);
    }
  }

  @Test
  void nonesInEveryArgumentPositionGetAClearAnswerInBothEncodings() throws Exception {
    for (Encoding e : List.of(Encoding.PICKLE, Encoding.MSGPACK)) {
      if (server != null) {
        server.close();
      }
      start(e);
      List<Outcome> outcomes = new ArrayList<>();
      MessageCodec codec = new MessageCodec(e, Role.CLIENT);
      try (Control control = new Control(server)) {
        for (Request r : samples(i -> MsgId.of(7))) {
          boolean oneWay = r instanceof OneWayRequest;
          Tuple valid = r.args();
          for (int at = 0; at < valid.size(); at++) {
            Object[] args = valid.items().toArray();
            args[at] = null;
            Object msgid = oneWay ? 0L : 7L;
            byte[] f =
                codec.encodeValueToArray(Tuple.of(msgid, oneWay, r.method(), Tuple.of(args)));
            outcomes.add(send(e, r.method() + " None at " + at, f, oneWay ? -1 : 7));
          }
          if (!(r instanceof SyncRequest<?>)) {
            continue;
          }
          // all None, at every count
          for (int n = 0; n <= 6; n++) {
            Object[] args = new Object[n];
            byte[] f = codec.encodeValueToArray(Tuple.of(7L, false, r.method(), Tuple.of(args)));
            Outcome o = send(e, r.method() + " with " + n + " Nones", f, 7);
            outcomes.add(o);
          }
        }
        assertThat(control.worstNanos.get()).isLessThan(ONE_SECOND_NANOS);
        report(e + " None", outcomes, control, 0);
      }
    }
  }

  @Test
  void deeplyNestedAndNoneMsgpackFramesAreRefusedPromptly() throws Exception {
    start(Encoding.MSGPACK);
    List<Outcome> outcomes = new ArrayList<>();
    long heap0;
    try (Control control = new Control(server)) {
      heap0 = usedHeapAfterGc();
      for (Request r : samples(MsgId::of)) {
        boolean oneWay = r instanceof OneWayRequest;
        int n = Math.max(1, r.args().size());
        Long id = oneWay ? 0L : 7L;
        for (int at = 0; at < n; at++) {
          outcomes.add(
              send(
                  Encoding.MSGPACK,
                  r.method() + " deep at " + at,
                  msgpackFrame(id, oneWay, r.method(), n, at, 100_000),
                  -1));
        }
        Outcome o =
            send(
                Encoding.MSGPACK,
                r.method() + " deep msgid",
                msgpackFrame("deep", oneWay, r.method(), n, -1, 100_000),
                -1);
        assertThat(o.closed()).as(o.what()).isTrue();
        o =
            send(
                Encoding.MSGPACK,
                r.method() + " None msgid",
                msgpackFrame(null, oneWay, r.method(), n, -1, 0),
                -1);
        if (!oneWay) {
          assertThat(o.closed()).as(o.what()).isTrue();
        }
        outcomes.add(o);
      }
      long heap1 = usedHeapAfterGc();
      assertThat(control.worstNanos.get()).isLessThan(ONE_SECOND_NANOS);
      assertThat(heap1 - heap0).as("heap growth").isLessThan(8L << 20);
      report("M5", outcomes, control, heap1 - heap0);
    }
  }

  private static void report(String what, List<Outcome> outcomes, Control control, long heap) {
    long worst = outcomes.stream().mapToLong(Outcome::nanos).max().orElse(0);
    long closed = outcomes.stream().filter(Outcome::closed).count();
    System.out.printf(
        "%s: %d hostile frames, %d closed, %d answered; worst %.1f ms; control pings %d, worst %.1f"
            + " ms; heap growth %d KiB%n",
        what,
        outcomes.size(),
        closed,
        outcomes.size() - closed,
        worst / 1e6,
        control.pings.get(),
        control.worstNanos.get() / 1e6,
        heap >> 10);
  }
}
