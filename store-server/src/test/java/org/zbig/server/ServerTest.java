package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.server.storage.DirectBuffers;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadConflictException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.*;

/** A real server on loopback, driven by clients that speak the wire protocol. */
class ServerTest {
  private ZeoServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private TestClient connect(Encoding e) throws Exception {
    if (server == null) {
      server = ZeoServer.start(ServerConfig.inMemory().withOffer(e));
    }
    TestClient c = new TestClient(server.address());
    assertThat(c.call(new Register(c.id(), "1", false))).isPresent();
    return c;
  }

  private static final Bytes DATA1 = Bytes.utf8("record one");
  private static final Bytes DATA2 = Bytes.utf8("record two");

  private static Tid commit(TestClient c, long txn, Oid oid, Tid serial, Bytes data) {
    c.send(new TpcBegin(txn, Bytes.utf8("/ alice"), Bytes.utf8("test"), Map.of(), null, " "));
    c.send(new StoreA(oid, serial, data, txn));
    assertThat(c.call(new Vote(c.id(), txn))).isEqualTo(VoteResult.OK);
    return c.call(new TpcFinish(c.id(), txn));
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void registerGetInfoAndAnEmptyStorage(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      Map<String, Object> info = c.call(new GetInfo(c.id()));
      assertThat(WireValues.sequence(info.get("interfaces"), "interfaces"))
          .contains(Tuple.of("ZODB.interfaces", "IStorageIteration"));
      assertThat(c.call(new LastTransaction(c.id()))).isEqualTo(Tid.Z64);
      assertThatThrownBy(() -> c.call(LoadBefore.of(Oid.ROOT, new Tid(1))))
          .isInstanceOf(NoSuchObjectException.class);
      assertThat(c.call(new NewOids(c.id(), 0))).hasSize(100).doesNotContain(Oid.ROOT);
      assertThat(c.call(new Ping(c.id()))).isNull();
      c.send(new Heartbeat());
      assertThat(c.call(new Ping(c.id()))).isNull();
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void commitInvalidatesOtherClientsAndInformsTheCommitter(Encoding e) throws Exception {
    try (TestClient a = connect(e);
        TestClient b = connect(e)) {
      Tid t1 = commit(a, 11, Oid.ROOT, Tid.Z64, DATA1);
      assertThat(a.calls).containsExactly(new Info(Map.of("length", 1L, "size", 10L)));
      assertThat(b.call(new Ping(b.id()))).isNull();
      assertThat(b.calls).containsExactly(new InvalidateTransaction(t1, List.of(Oid.ROOT)));
      assertThat(b.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .contains(new LoadResult(DATA1, t1, null));
      Tid t2 = commit(b, 12, Oid.ROOT, t1, DATA2);
      assertThat(t2).isGreaterThan(t1);
      assertThat(a.call(new Ping(a.id()))).isNull();
      assertThat(a.calls).contains(new InvalidateTransaction(t2, List.of(Oid.ROOT)));
      assertThat(a.call(LoadBefore.of(Oid.ROOT, t2))).contains(new LoadResult(DATA1, t1, t2));
      assertThat(a.call(new LoadSerial(a.id(), Oid.ROOT, t1))).isEqualTo(DATA1);
      assertThat(a.call(new GetInvalidations(a.id(), t1)))
          .contains(new Invalidations(t2, List.of(Oid.ROOT)));
      assertThat(a.call(new History(a.id(), Oid.ROOT, 5))).hasSize(2);
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aConflictIsReturnedToTheClientWhichResolvesAndRevotes(Encoding e) throws Exception {
    try (TestClient a = connect(e);
        TestClient b = connect(e)) {
      Tid t1 = commit(a, 1, Oid.ROOT, Tid.Z64, DATA1);
      b.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(Oid.ROOT, Tid.Z64, DATA2, 2));
      VoteResult v = b.call(new Vote(b.id(), 2));
      assertThat(v.conflicts())
          .containsExactly(new ResolvableConflict(Oid.ROOT, t1, Tid.Z64, DATA2));
      b.send(new StoreA(Oid.ROOT, t1, Bytes.utf8("resolved"), 2));
      assertThat(b.call(new Vote(b.id(), 2))).isEqualTo(VoteResult.OK);
      Tid t2 = b.call(new TpcFinish(b.id(), 2));
      assertThat(b.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .contains(new LoadResult(Bytes.utf8("resolved"), t2, null));
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void readConflictFailsTheVoteAndAbortIsQuiet(Encoding e) throws Exception {
    try (TestClient a = connect(e)) {
      Tid t1 = commit(a, 1, Oid.ROOT, Tid.Z64, DATA1);
      commit(a, 2, Oid.ROOT, t1, DATA2);
      a.send(new TpcBegin(3, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new CheckCurrentSerial(Oid.ROOT, t1, 3));
      assertThatThrownBy(() -> a.call(new Vote(a.id(), 3)))
          .isInstanceOf(ReadConflictException.class);
      assertThat(a.call(new TpcAbort(a.id(), 3))).isNull();
      assertThat(commit(a, 4, new Oid(5), Tid.Z64, DATA1)).isNotNull();
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aWaitingVoteIsAnsweredLaterWhileOtherRequestsAreServed(Encoding e) throws Exception {
    try (TestClient a = connect(e);
        TestClient b = connect(e)) {
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(new Oid(1), Tid.Z64, DATA1, 1));
      assertThat(a.call(new Vote(a.id(), 1))).isEqualTo(VoteResult.OK);
      // another object: no wait
      b.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(new Oid(2), Tid.Z64, DATA2, 2));
      assertThat(b.call(new Vote(b.id(), 2))).isEqualTo(VoteResult.OK);
      b.call(new TpcAbort(b.id(), 2));
      // the object a holds: the vote waits for a's finish, then meets a's commit as a conflict
      b.send(new TpcBegin(3, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(new Oid(1), Tid.Z64, DATA2, 3));
      Vote vote = new Vote(b.id(), 3);
      b.send(vote);
      assertThat(b.call(new Ping(b.id()))).isNull();
      Tid ta = a.call(new TpcFinish(a.id(), 1));
      Message late = b.next();
      while (!(late instanceof Reply r && r.msgid().equals(vote.msgid()))) {
        late = b.next(); // the invalidation of a's commit comes first
      }
      VoteResult result = vote.decodeResult(((Reply) late).value());
      assertThat(result.conflicts()).hasSize(1);
      assertThat(result.conflicts().getFirst().committed()).isEqualTo(ta);
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void iterationOverCommittedTransactions(Encoding e) throws Exception {
    try (TestClient a = connect(e)) {
      Tid t1 = commit(a, 1, Oid.ROOT, Tid.Z64, DATA1);
      long iid = a.call(new IteratorStart(a.id(), null, null));
      Optional<TransactionInfo> first = a.call(new IteratorNext(a.id(), iid));
      assertThat(first.orElseThrow().tid()).isEqualTo(t1);
      long riid = a.call(new IteratorRecordStart(a.id(), iid, t1));
      assertThat(a.call(new IteratorRecordNext(a.id(), riid)))
          .contains(new RecordInfo(Oid.ROOT, t1, DATA1, null));
      assertThat(a.call(new IteratorRecordNext(a.id(), riid))).isEmpty();
      assertThat(a.call(new IteratorNext(a.id(), iid))).isEmpty();
      assertThat(a.call(new RecordIternext(a.id(), null)))
          .isEqualTo(new CurrentRecord(Oid.ROOT, t1, DATA1, null));
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void registrationErrors(Encoding e) throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory().withOffer(e));
    try (TestClient c = new TestClient(server.address())) {
      assertThatThrownBy(() -> c.call(new Register(c.id(), "nosuch", false)))
          .isInstanceOf(InvalidValueException.class)
          .hasMessage("unknown storage: nosuch");
      assertThat(c.call(new Register(c.id(), "1", true))).isPresent();
      assertThatThrownBy(() -> c.call(new NewOids(c.id(), 0)))
          .isInstanceOf(ReadOnlyException.class);
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aFailedOneWayCallClosesOnlyThatConnection(Encoding e) throws Exception {
    try (TestClient a = connect(e);
        TestClient b = connect(e)) {
      a.send(new StoreA(Oid.ROOT, Tid.Z64, DATA1, 99)); // no transaction open
      assertThat(a.closedByServer()).isTrue();
      assertThat(b.call(new Ping(b.id()))).isNull();
      assertThat(commit(b, 1, Oid.ROOT, Tid.Z64, DATA1)).isNotNull();
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void callsBeforeRegisterAndGarbageCloseTheConnection(Encoding e) throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory().withOffer(e));
    try (TestClient c = new TestClient(server.address())) {
      c.send(new Ping(c.id()));
      assertThat(c.closedByServer()).isTrue();
    }
    try (TestClient c = new TestClient(server.address())) {
      c.writeFrame(new byte[] {1, 2, 3});
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aStoreWithANoneSerialIsAFirstStoreAsZodbAllowsIt(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      // storea(oid, None, data, txn), as ZEO's client sends a new object's first store
      c.writeFrame(
          c.codec.encodeValueToArray(
              Tuple.of(
                  0L, true, "storea", Tuple.of(WireValues.bytes(new Oid(7)), null, DATA1, 1L))));
      assertThat(c.call(new Vote(c.id(), 1))).isEqualTo(VoteResult.OK);
      Tid t = c.call(new TpcFinish(c.id(), 1));
      assertThat(c.call(LoadBefore.of(new Oid(7), Tid.MAX)))
          .contains(new LoadResult(DATA1, t, null));
      // on an existing object, None stands for "new" and so conflicts with the committed one
      c.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.writeFrame(
          c.codec.encodeValueToArray(
              Tuple.of(
                  0L, true, "storea", Tuple.of(WireValues.bytes(new Oid(7)), null, DATA2, 2L))));
      VoteResult r = c.call(new Vote(c.id(), 2));
      assertThat(r.conflicts()).hasSize(1);
      assertThat(r.conflicts().getFirst().committed()).isEqualTo(t);
    }
  }

  /**
   * The livelock of client-side conflict resolution: a vote that returns conflicts keeps its
   * objects locked while the client resolves, so its re-vote cannot meet new conflicts; another
   * client's commit of the same object waits and then sees the resolved commit.
   */
  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aVoteWithConflictsKeepsItsObjectsUntilTheReVote(Encoding e) throws Exception {
    try (TestClient a = connect(e);
        TestClient b = connect(e)) {
      Tid t0 = commit(a, 1, Oid.ROOT, Tid.Z64, DATA1);
      Tid t1 = commit(b, 1, Oid.ROOT, t0, DATA2);
      // a stores from its stale view: conflicts, returned for the client to resolve
      a.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(Oid.ROOT, t0, Bytes.utf8("a's change"), 2));
      VoteResult first = a.call(new Vote(a.id(), 2));
      assertThat(first.conflicts()).hasSize(1);
      // b commits the object again meanwhile: its vote waits for a's resolution
      b.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(Oid.ROOT, t1, Bytes.utf8("b's change"), 2));
      Vote bv = new Vote(b.id(), 2);
      b.send(bv);
      assertThat(b.call(new Ping(b.id()))).isNull(); // answered while the vote waits
      // a re-stores the resolved state against t1 and re-votes: no new conflict, it commits
      a.send(new StoreA(Oid.ROOT, t1, Bytes.utf8("resolved"), 2));
      assertThat(a.call(new Vote(a.id(), 2))).isEqualTo(VoteResult.OK);
      Tid t2 = a.call(new TpcFinish(a.id(), 2));
      Message late = b.next();
      while (!(late instanceof Reply r && r.msgid().equals(bv.msgid()))) {
        late = b.next();
      }
      VoteResult bResult = bv.decodeResult(((Reply) late).value());
      assertThat(bResult.conflicts()).hasSize(1);
      assertThat(bResult.conflicts().getFirst().committed()).isEqualTo(t2);
    }
  }

  /** As ZEO's ThreadTests store: the serial of a new object given as the str {@code '\0' * 8}. */
  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aSerialGivenAsAStrOfEightCharactersIsItsLatin1Bytes(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.writeFrame(
          c.codec.encodeValueToArray(
              Tuple.of(
                  0L,
                  true,
                  "storea",
                  Tuple.of(WireValues.bytes(new Oid(3)), "\0".repeat(8), DATA1, 1L))));
      assertThat(c.call(new Vote(c.id(), 1))).isEqualTo(VoteResult.OK);
      assertThat(c.call(new TpcFinish(c.id(), 1))).isNotNull();
    }
  }

  /** As ZEO's IterationTests call it: {@code iterator_gc} synchronously, answered with None. */
  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aOneWayMethodCalledSynchronouslyIsRunAndAnswered(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      commit(c, 1, Oid.ROOT, Tid.Z64, DATA1);
      long iid = c.call(new IteratorStart(c.id(), null, null));
      long id = c.nextId();
      c.writeFrame(
          c.codec.encodeValueToArray(
              Tuple.of(id, false, "iterator_gc", Tuple.of(java.util.List.of(iid)))));
      Message m = c.next();
      assertThat(m).isEqualTo(new Reply(MsgId.of(id), null));
      assertThatThrownBy(() -> c.call(new IteratorNext(c.id(), iid)))
          .isInstanceOf(org.zbig.zodb.error.MissingKeyException.class);
    }
  }

  /**
   * As ZODB's IteratorStorage test sends it: an extension whose dict subclass reduces to {@code
   * dict(pairs)}; it is stored and iterated as that dict.
   */
  @org.junit.jupiter.api.Test
  void anExtensionPickledAsADictCallIsThatDict() throws Exception {
    Encoding e = Encoding.PICKLE; // msgpack has no calls: a Python client sends the dict itself
    try (TestClient c = connect(e)) {
      Object ext =
          new org.zbig.zodb.pickle.PyObject(
              new org.zbig.zodb.pickle.Global("builtins", "dict"),
              Tuple.of(Tuple.of(Tuple.of("foo", 1L))),
              org.zbig.zodb.pickle.PyObject.Kind.REDUCE);
      c.writeFrame(
          c.codec.encodeValueToArray(
              Tuple.of(
                  0L, true, "tpc_begin", Tuple.of(1L, Bytes.EMPTY, Bytes.EMPTY, ext, null, " "))));
      c.send(new StoreA(Oid.ROOT, Tid.Z64, DATA1, 1));
      assertThat(c.call(new Vote(c.id(), 1))).isEqualTo(VoteResult.OK);
      c.call(new TpcFinish(c.id(), 1));
      long iid = c.call(new IteratorStart(c.id(), null, null));
      assertThat(c.call(new IteratorNext(c.id(), iid)).orElseThrow().extension())
          .isEqualTo(Map.of("foo", 1L));
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void bigRecordsLeaveThroughDirectBuffersThatComeBackOnlyOnceWritten(
      Encoding e, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    server =
        ZeoServer.start(
            new ServerConfig("127.0.0.1", 0, dir, "1", e, false, 2, null, true, 256 << 20));
    java.util.Random random = new java.util.Random(42);
    List<Bytes> records = new java.util.ArrayList<>();
    try (TestClient c = connect(e)) {
      for (int i = 1; i <= 3; i++) {
        byte[] b = new byte[(1 << 20) + i * 1000];
        random.nextBytes(b);
        records.add(Bytes.wrap(b));
        commit(c, i, new Oid(i), Tid.Z64, records.getLast());
      }
      // pipelined: were a buffer given back before its reply is written, a later load would
      // overwrite it and some reply would show another record's bytes
      int n = 30;
      for (int k = 0; k < n; k++) {
        c.send(new LoadBefore(MsgId.of(1000L + k), new Oid(1 + k % 3), Tid.MAX));
      }
      for (int k = 0; k < n; k++) {
        Message m = c.next();
        assertThat(m).isInstanceOf(Reply.class);
        Reply r = (Reply) m;
        int which = (int) (((Long) r.msgid().value()) - 1000) % 3;
        LoadResult got =
            new LoadBefore(r.msgid(), new Oid(1 + which), Tid.MAX)
                .decodeResult(r.value())
                .orElseThrow();
        assertThat(got.data()).isEqualTo(records.get(which));
      }
    }
    DirectBuffers buffers = server.replyBuffers();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (buffers.kept() == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // the last write's listener runs just after the client has the bytes
    }
    assertThat(buffers.kept()).isPositive().isLessThanOrEqualTo(128L << 20);
  }

  /** ZEO's {@code invalidation-age}: past the queue, young enough, read from the storage. */
  @ParameterizedTest
  @EnumSource(Encoding.class)
  void anInvalidationAgeListsChangesBeyondTheQueue(Encoding e) throws Exception {
    server =
        ZeoServer.start(
            new ServerConfig("127.0.0.1", 0, null, "1", e, false, 2, null, true, 256 << 20)
                .withInvalidationAge(java.time.Duration.ofSeconds(100)));
    try (TestClient c = connect(e)) {
      Tid t0 = commit(c, 1, Oid.ROOT, Tid.Z64, DATA1);
      Tid prev = Tid.Z64;
      for (int i = 1; i <= 4; i++) {
        prev = commit(c, 1 + i, new Oid(i), Tid.Z64, DATA2);
      }
      Invalidations inv = c.call(new GetInvalidations(c.id(), t0)).orElseThrow();
      assertThat(inv.tid()).isEqualTo(prev);
      assertThat(inv.oids())
          .containsExactlyInAnyOrder(new Oid(1), new Oid(2), new Oid(3), new Oid(4));
    }
    server.close();
    // without it, the client is told to drop its cache
    server =
        ZeoServer.start(
            new ServerConfig("127.0.0.1", 0, null, "1", e, false, 2, null, true, 256 << 20));
    try (TestClient c = connect(e)) {
      Tid t0 = commit(c, 1, Oid.ROOT, Tid.Z64, DATA1);
      for (int i = 1; i <= 4; i++) {
        commit(c, 1 + i, new Oid(i), Tid.Z64, DATA2);
      }
      assertThat(c.call(new GetInvalidations(c.id(), t0))).isEmpty();
    }
  }

  /**
   * ZEO's {@code server_status} keys, as its own doctest ({@code test_server_status}) prints them.
   */
  static final java.util.Set<String> ZEO_STATUS_KEYS =
      java.util.Set.of(
          "aborts",
          "active_txns",
          "commits",
          "conflicts",
          "conflicts_resolved",
          "connections",
          "last-transaction",
          "loads",
          "lock_time",
          "start",
          "stores",
          "timeout-thread-is-alive",
          "waiting");

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void serverStatusHasZeosKeysAndMeanings(Encoding e) throws Exception {
    server =
        ZeoServer.start(
            ServerConfig.inMemory()
                .withOffer(e)
                .withTransactionTimeout(java.time.Duration.ofSeconds(1)));
    try (TestClient c = connect(e)) {
      Tid t = commit(c, 1, Oid.ROOT, Tid.Z64, DATA1);
      c.call(LoadBefore.of(Oid.ROOT, Tid.MAX));
      Map<String, Object> st = c.call(new ServerStatus(c.id()));
      assertThat(st.keySet()).isEqualTo(ZEO_STATUS_KEYS);
      assertThat(st)
          .containsEntry("aborts", 0L)
          .containsEntry("active_txns", 0L)
          .containsEntry("commits", 1L)
          .containsEntry("conflicts", 0L)
          .containsEntry("conflicts_resolved", 0L)
          .containsEntry("connections", 1L)
          .containsEntry("last-transaction", t.toHex())
          .containsEntry("loads", 1L)
          .containsEntry("stores", 1L)
          .containsEntry("timeout-thread-is-alive", true)
          .containsEntry("waiting", 0L);
      assertThat(st.get("lock_time")).isNull();
      assertThat((String) st.get("start"))
          .matches("[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] \\d\\d:\\d\\d:\\d\\d \\d{4}");
      // an open transaction, voted: it holds a lock since a time
      c.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(new Oid(1), Tid.Z64, DATA2, 2));
      c.call(new Vote(c.id(), 2));
      st = c.call(new ServerStatus(c.id()));
      assertThat(st).containsEntry("active_txns", 1L).containsEntry("stores", 2L);
      assertThat((Double) st.get("lock_time"))
          .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(5.0));
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void ruokAnswersJsonAndCloses(Encoding e) throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory().withOffer(e));
    try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(4);
      out.write("ruok".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      in.readFully(new byte[in.readInt()]); // the offer
      byte[] json = new byte[in.readInt()];
      in.readFully(json);
      String text = new String(json, StandardCharsets.US_ASCII);
      assertThat(text)
          .startsWith("{\"1\": {")
          .contains("\"last-transaction\": \"0000000000000000\"")
          .contains("\"lock_time\": null")
          .contains("\"timeout-thread-is-alive\": \"stub\"");
      for (String key : ZEO_STATUS_KEYS) {
        assertThat(text).contains("\"" + key + "\": ");
      }
      assertThat(in.read()).isEqualTo(-1);
    }
  }
}
