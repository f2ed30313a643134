package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.MultipleUndoException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;
import org.zbig.zodb.storage.*;

/**
 * Behaviour across connections on a real server: concurrent committers with conflicts, the order of
 * invalidations, the transaction timeout, undo, pack and blobs over the wire, and hostile input.
 */
class ServerBehaviourTest {
  private ZeoServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private TestClient connect() {
    return connect(ServerConfig.inMemory());
  }

  private TestClient connect(ServerConfig config) {
    if (server == null) {
      try {
        server = ZeoServer.start(config);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    TestClient c = new TestClient(server.address());
    assertThat(c.call(new Register(c.id(), "1", false))).isPresent();
    return c;
  }

  static Bytes counter(long n) {
    return Bytes.wrap(ByteBuffer.allocate(8).putLong(n).array());
  }

  static long counterOf(Bytes b) {
    return b.asByteBuffer().getLong(0);
  }

  /** Stores one object and votes: the vote result. */
  private static VoteResult storeAndVote(TestClient c, long txn, Oid oid, Tid serial, Bytes data) {
    c.send(new TpcBegin(txn, Bytes.utf8("/ t"), Bytes.utf8("d"), Map.of(), null, " "));
    c.send(new StoreA(oid, serial, data, txn));
    return c.call(new Vote(c.id(), txn));
  }

  @Test
  void concurrentIncrementsWithConflictsLoseNothing() throws Exception {
    Oid oid = Oid.ROOT;
    try (TestClient init = connect()) {
      assertThat(storeAndVote(init, 1, oid, Tid.Z64, counter(0))).isEqualTo(VoteResult.OK);
      init.call(new TpcFinish(init.id(), 1));
    }
    int clients = 4;
    int each = 25;
    AtomicLong conflicts = new AtomicLong();
    List<Tid> committed = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      done.add(
          pool.submit(() -> {
            try (TestClient c = connect()) {
              long txn = 100;
              for (int n = 0; n < each; ) {
                LoadResult cur = c.call(LoadBefore.of(oid, Tid.MAX)).orElseThrow();
                VoteResult v =
                    storeAndVote(c, ++txn, oid, cur.start(), counter(counterOf(cur.data()) + 1));
                if (!v.conflicts().isEmpty()) {
                  conflicts.incrementAndGet();
                  assertThat(v.conflicts().getFirst().oid()).isEqualTo(oid);
                  assertThat(c.call(new TpcAbort(c.id(), txn))).isNull();
                  continue;
                }
                committed.add(c.call(new TpcFinish(c.id(), txn)));
                n++;
              }
            }
            return null;
          }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    try (TestClient c = connect()) {
      LoadResult last = c.call(LoadBefore.of(oid, Tid.MAX)).orElseThrow();
      assertThat(counterOf(last.data())).isEqualTo((long) clients * each);
      assertThat(committed).hasSize(clients * each).doesNotHaveDuplicates();
      assertThat(c.call(new LastTransaction(c.id()))).isEqualTo(Collections.max(committed));
    }
  }

  @Test
  void invalidationsArriveInTidOrderAndNeverBeforeTheCommit() throws Exception {
    try (TestClient watcher = connect();
        TestClient a = connect();
        TestClient b = connect()) {
      List<Tid> finished = Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.FutureTask<Void> byA =
          new java.util.concurrent.FutureTask<>(() -> {
            Tid serial = Tid.Z64;
            for (int i = 0; i < 20; i++) {
              assertThat(storeAndVote(a, 1000 + i, new Oid(1), serial, counter(i)))
                  .isEqualTo(VoteResult.OK);
              serial = a.call(new TpcFinish(a.id(), 1000 + i));
              finished.add(serial);
            }
            return null;
          });
      Thread.ofPlatform().start(byA);
      // b commits other objects meanwhile
      for (int i = 0; i < 20; i++) {
        Oid o = new Oid(100 + i);
        assertThat(storeAndVote(b, 2000 + i, o, Tid.Z64, counter(i))).isEqualTo(VoteResult.OK);
        finished.add(b.call(new TpcFinish(b.id(), 2000 + i)));
      }
      byA.get();
      // the watcher receives one invalidation per commit, in strictly increasing tid order
      List<Tid> seen = new ArrayList<>();
      while (seen.size() < finished.size()) {
        assertThat(watcher.call(new Ping(watcher.id()))).isNull();
        for (ServerCall call : watcher.calls) {
          if (call instanceof InvalidateTransaction inv) {
            seen.add(inv.tid());
          }
        }
        watcher.calls.clear();
      }
      assertThat(seen).isSorted().doesNotHaveDuplicates();
      assertThat(seen).containsExactlyInAnyOrderElementsOf(finished);
    }
  }

  @Test
  void aLoadAnsweredBeforeACommitIsNeverOvertakenByItsInvalidation() {
    try (TestClient reader = connect();
        TestClient writer = connect()) {
      Oid o = new Oid(1);
      assertThat(storeAndVote(writer, 1, o, Tid.Z64, counter(1))).isEqualTo(VoteResult.OK);
      Tid t1 = writer.call(new TpcFinish(writer.id(), 1));
      for (int i = 0; i < 50; i++) {
        // pipeline: load, and meanwhile the writer commits
        LoadBefore load = LoadBefore.of(o, Tid.MAX);
        reader.send(load);
        if (storeAndVote(writer, 10 + i, o, currentSerial(writer, o), counter(i))
            .conflicts()
            .isEmpty()) {
          writer.call(new TpcFinish(writer.id(), 10 + i));
        }
        Message m = reader.next();
        LoadResult cur = load.decodeResult(((Reply) m).value()).orElseThrow();
        // every invalidation received before the reply is for a tid the reply already reflects
        for (ServerCall c : reader.calls) {
          if (c instanceof InvalidateTransaction inv) {
            assertThat(inv.tid()).isLessThanOrEqualTo(cur.start());
          }
        }
        reader.calls.clear();
        assertThat(cur.start()).isGreaterThanOrEqualTo(t1);
      }
    }
  }

  @Test
  void aPingAfterAnotherClientsCommitComesAfterItsInvalidation() {
    // ZODB's server_sync: a ping at transaction begin must bring every finished commit's
    // invalidation
    try (TestClient a = connect();
        TestClient b = connect()) {
      Tid serial = Tid.Z64;
      for (int i = 0; i < 200; i++) {
        assertThat(storeAndVote(a, 1 + i, new Oid(1), serial, counter(i))).isEqualTo(VoteResult.OK);
        serial = a.call(new TpcFinish(a.id(), 1 + i));
        assertThat(b.call(new Ping(b.id()))).isNull();
        assertThat(b.calls)
            .as("commit " + i)
            .contains(new InvalidateTransaction(serial, List.of(new Oid(1))));
        b.calls.clear();
      }
    }
  }

  @Test
  void restoreWithAnExplicitTidKeepsTidsBackPointersAndDeletions() {
    try (TestClient copier = connect();
        TestClient watcher = connect()) {
      Oid a = new Oid(5);
      Oid b = new Oid(6);
      Tid t1 = Tid.ofHex("0405e70180000000");
      copier.send(new TpcBegin(1, Bytes.utf8("/ copy"), Bytes.EMPTY, Map.of(), t1, " "));
      copier.send(new RestoreA(a, t1, counter(1), null, 1));
      copier.send(new RestoreA(b, t1, counter(2), null, 1));
      assertThat(copier.call(new Vote(copier.id(), 1))).isEqualTo(VoteResult.OK);
      assertThat(copier.call(new TpcFinish(copier.id(), 1))).isEqualTo(t1);
      Tid t2 = Tid.ofHex("0405e701a0000000");
      copier.send(new TpcBegin(2, Bytes.utf8("/ copy"), Bytes.EMPTY, Map.of(), t2, " "));
      copier.send(new RestoreA(a, t2, counter(1), t1, 2)); // same data as t1: a back-pointer
      copier.send(new RestoreA(b, t2, null, null, 2)); // an undone creation
      assertThat(copier.call(new Vote(copier.id(), 2))).isEqualTo(VoteResult.OK);
      assertThat(copier.call(new TpcFinish(copier.id(), 2))).isEqualTo(t2);
      assertThat(copier.call(LoadBefore.of(a, Tid.MAX)))
          .contains(new LoadResult(counter(1), t2, null));
      assertThatThrownBy(() -> copier.call(LoadBefore.of(b, Tid.MAX)))
          .isInstanceOf(NoSuchObjectException.class);
      assertThat(watcher.call(new Ping(watcher.id()))).isNull();
      assertThat(watcher.calls).contains(new InvalidateTransaction(t2, List.of(a, b)));
      // the iterator shows the back-pointer and the deletion as a copy tool needs them
      long iid = copier.call(new IteratorStart(copier.id(), t2, t2));
      assertThat(copier.call(new IteratorNext(copier.id(), iid)).orElseThrow().tid()).isEqualTo(t2);
      long rid = copier.call(new IteratorRecordStart(copier.id(), iid, t2));
      assertThat(copier.call(new IteratorRecordNext(copier.id(), rid)))
          .contains(new RecordInfo(a, t2, counter(1), t1));
      assertThat(copier.call(new IteratorRecordNext(copier.id(), rid)))
          .contains(new RecordInfo(b, t2, null, null));
      // an explicit tid at or before the last one is refused
      copier.send(new TpcBegin(3, Bytes.EMPTY, Bytes.EMPTY, Map.of(), t1, " "));
      copier.send(new RestoreA(a, t1, counter(3), null, 3));
      assertThatThrownBy(() -> copier.call(new Vote(copier.id(), 3)))
          .hasMessageContaining("is not after the last tid");
    }
  }

  @Test
  void aReadOnlyConnectionReadsAndIsInvalidatedButCannotWrite() {
    try (TestClient writer = connect()) {
      TestClient reader = new TestClient(server.address());
      assertThat(reader.call(new Register(reader.id(), "1", true))).isPresent();
      assertThat(storeAndVote(writer, 1, Oid.ROOT, Tid.Z64, counter(1))).isEqualTo(VoteResult.OK);
      Tid t1 = writer.call(new TpcFinish(writer.id(), 1));
      assertThat(reader.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .contains(new LoadResult(counter(1), t1, null));
      assertThat(reader.calls).contains(new InvalidateTransaction(t1, List.of(Oid.ROOT)));
      assertThatThrownBy(() -> reader.call(new NewOids(reader.id(), 1)))
          .isInstanceOf(org.zbig.zodb.error.ReadOnlyException.class);
      reader.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      assertThat(reader.closedByServer()).isTrue();
      reader.close();
    }
  }

  @Test
  void aClientThatDisconnectsHoldingTheLockReleasesIt() throws Exception {
    try (TestClient next = connect()) {
      TestClient gone = connect();
      assertThat(storeAndVote(gone, 1, new Oid(1), Tid.Z64, counter(1))).isEqualTo(VoteResult.OK);
      gone.close(); // holding the commit lock
      assertThat(storeAndVote(next, 2, new Oid(2), Tid.Z64, counter(2))).isEqualTo(VoteResult.OK);
      assertThat(next.call(new TpcFinish(next.id(), 2))).isNotNull();
      assertThatThrownBy(() -> next.call(LoadBefore.of(new Oid(1), Tid.MAX)))
          .isInstanceOf(NoSuchObjectException.class);
    }
  }

  private static Tid currentSerial(TestClient c, Oid o) {
    return c.call(new GetTid(c.id(), o));
  }

  @Test
  void aTransactionHoldingTheLockTooLongIsAbortedAndOthersGoOn() {
    ServerConfig config = ServerConfig.inMemory().withTransactionTimeout(Duration.ofMillis(300));
    try (TestClient slow = connect(config);
        TestClient next = connect(config)) {
      assertThat(storeAndVote(slow, 1, new Oid(1), Tid.Z64, counter(1))).isEqualTo(VoteResult.OK);
      // slow never finishes; next's vote on the same object waits for its lock, then gets it
      assertThat(storeAndVote(next, 2, new Oid(1), Tid.Z64, counter(2))).isEqualTo(VoteResult.OK);
      assertThat(slow.closedByServer()).isTrue();
      Tid t2 = next.call(new TpcFinish(next.id(), 2));
      assertThat(next.call(LoadBefore.of(new Oid(1), Tid.MAX)))
          .contains(new LoadResult(counter(2), t2, null));
    }
  }

  @Test
  void undoOverTheWireReturnsTheUndoneOidsAndInvalidatesThem() {
    try (TestClient a = connect();
        TestClient b = connect()) {
      Oid o = new Oid(1);
      storeAndVote(a, 1, o, Tid.Z64, counter(1));
      Tid t1 = a.call(new TpcFinish(a.id(), 1));
      storeAndVote(a, 2, o, t1, counter(2));
      Tid t2 = a.call(new TpcFinish(a.id(), 2));
      List<Map<String, Object>> log = a.call(new UndoLog(a.id(), 0, -20));
      assertThat(log).hasSize(2);
      assertThat(log.getFirst().get("id"))
          .isEqualTo(Bytes.wrap(java.util.Base64.getEncoder().encode(t2.toBytes())));
      assertThat(a.call(new UndoInfo(a.id(), 0, 20, Map.of("description", Bytes.utf8("d")))))
          .hasSize(2);
      assertThat(a.call(new UndoInfo(a.id(), 0, 20, Map.of("description", Bytes.utf8("x")))))
          .isEmpty();
      a.send(new TpcBegin(3, Bytes.utf8("/ t"), Bytes.utf8("undo"), Map.of(), null, " "));
      a.send(new UndoA((Bytes) log.getFirst().get("id"), 3));
      assertThat(a.call(new Vote(a.id(), 3)).changed()).containsExactly(o);
      Tid t3 = a.call(new TpcFinish(a.id(), 3));
      assertThat(counterOf(a.call(LoadBefore.of(o, Tid.MAX)).orElseThrow().data())).isEqualTo(1);
      assertThat(b.call(new Ping(b.id()))).isNull();
      assertThat(b.calls).contains(new InvalidateTransaction(t3, List.of(o)));
      // undoing t2 again fails: the object changed since
      a.send(new TpcBegin(4, Bytes.utf8("/ t"), Bytes.utf8("undo"), Map.of(), null, " "));
      a.send(new UndoA((Bytes) log.getFirst().get("id"), 4));
      assertThatThrownBy(() -> a.call(new Vote(a.id(), 4)))
          .isInstanceOf(MultipleUndoException.class);
      assertThat(a.call(new TpcAbort(a.id(), 4))).isNull();
    }
  }

  static Bytes root(Oid... refs) {
    Map<String, Object> data = new java.util.LinkedHashMap<>();
    for (Oid r : refs) {
      data.put("k" + r.value(), new Reference.OidOnly(r));
    }
    return Bytes.wrap(
        new DataRecord(ClassMeta.of("persistent.mapping.PersistentMapping"), Map.of("data", data))
            .encode());
  }

  @Test
  void packOverTheWireRemovesHistoryAndTellsEveryConnection() throws Exception {
    try (TestClient a = connect();
        TestClient b = connect()) {
      Oid child = new Oid(1);
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(Oid.ROOT, Tid.Z64, root(child), 1));
      a.send(new StoreA(child, Tid.Z64, root(), 1));
      a.call(new Vote(a.id(), 1));
      Tid t1 = a.call(new TpcFinish(a.id(), 1));
      storeAndVote(a, 2, child, t1, root());
      Tid t2 = a.call(new TpcFinish(a.id(), 2));
      a.calls.clear();
      assertThat(b.call(new Ping(b.id()))).isNull();
      b.calls.clear();
      assertThat(a.call(new Pack(a.id(), t2.toEpochSeconds() + 1, true))).isNull();
      assertThat(a.calls).anyMatch(c -> c instanceof Info);
      assertThatThrownBy(() -> a.call(new LoadSerial(a.id(), child, t1)))
          .isInstanceOf(NoSuchObjectException.class);
      assertThat(a.call(new LoadSerial(a.id(), child, t2))).isEqualTo(root());
      assertThat(b.call(new Ping(b.id()))).isNull();
      assertThat(b.calls)
          .anyMatch(c -> c instanceof Info)
          .noneMatch(c -> c instanceof InvalidateTransaction);
      assertThat(a.call(new UndoLog(a.id(), 0, -20))).isEmpty(); // all packed
    }
  }

  @Test
  void blobsGoUpInChunksAndComeBackInChunks() throws Exception {
    try (TestClient a = connect();
        TestClient b = connect()) {
      Oid o = new Oid(1);
      byte[] blob = new byte[200_000];
      new java.util.Random(7).nextBytes(blob);
      Bytes record = Bytes.utf8("blob record");
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(o, Tid.Z64, record, 1));
      a.send(new StoreBlobStart());
      for (int at = 0; at < blob.length; at += 59_000) {
        a.send(
            new StoreBlobChunk(
                Bytes.wrap(
                    java.util.Arrays.copyOfRange(blob, at, Math.min(blob.length, at + 59_000)))));
      }
      a.send(new StoreBlobEnd(o, Tid.Z64, record, 1));
      assertThat(a.call(new Vote(a.id(), 1))).isEqualTo(VoteResult.OK);
      Tid t1 = a.call(new TpcFinish(a.id(), 1));
      assertThat(b.call(new Ping(b.id()))).isNull();
      assertThat(sentBlob(b, o, t1)).isEqualTo(blob);
      assertThat(b.calls.getFirst()).isEqualTo(new ReceiveBlobStart(o, t1));
      assertThat(b.calls.getLast()).isEqualTo(new ReceiveBlobStop(o, t1));
      assertThatThrownBy(() -> b.call(new SendBlob(b.id(), new Oid(9), t1)))
          .isInstanceOf(NoSuchObjectException.class);
      // an aborted upload leaves nothing behind
      a.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreBlobStart());
      a.send(new StoreBlobChunk(Bytes.utf8("partial")));
      assertThat(a.call(new TpcAbort(a.id(), 2))).isNull();
      assertThat(a.call(new Ping(a.id()))).isNull();
    }
  }

  /** The blob of {@code c}'s {@code sendBlob} of {@code oid} at {@code serial}, chunks joined. */
  private static byte[] sentBlob(TestClient c, Oid oid, Tid serial) throws java.io.IOException {
    c.calls.clear();
    assertThat(c.call(new SendBlob(c.id(), oid, serial))).isNull();
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    for (ServerCall call : c.calls) {
      if (call instanceof ReceiveBlobChunk chunk) {
        got.write(chunk.chunk().toByteArray());
      }
    }
    return got.toByteArray();
  }

  @Test
  void aClientSharingTheBlobFolderCommitsTheBlobFilesItWroteThere(@TempDir Path data)
      throws Exception {
    try (TestClient a = connect(ServerConfig.inMemory().withData(data));
        TestClient b = connect()) {
      // a sharing client makes its blobs in tmp/, which must be there before any upload
      assertThat(data.resolve("blobs/tmp")).isDirectory();
      assertThat(data.resolve("blobs/.layout")).hasContent("bushy");
      Path own = data.resolve("blobs/.zbig-tmp"); // the server's alone
      Oid o = new Oid(0x0102);
      // where ZODB's bushy layout keeps the blobs of object 0x0102; the client writes there
      Path folder = data.resolve("blobs/0x00/0x00/0x00/0x00/0x00/0x00/0x01/0x02");
      Files.createDirectories(folder);
      byte[] blob = new byte[100_000];
      new java.util.Random(11).nextBytes(blob);
      Path written = Files.write(folder.resolve("0x00abc.tmp-"), blob);
      Bytes record = Bytes.utf8("blob record");
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(o, Tid.Z64, record, 1));
      a.send(new StoreBlobShared(o, Tid.Z64, record, "0x00abc.tmp-", 1));
      assertThat(a.call(new Vote(a.id(), 1))).isEqualTo(VoteResult.OK);
      Tid t1 = a.call(new TpcFinish(a.id(), 1));
      // ZODB's name of the tid: hex without its leading zero bytes
      String tidName =
          "0x" + java.util.HexFormat.of().formatHex(t1.toBytes()).replaceFirst("^(00)+", "");
      assertThat(folder.resolve(tidName + ".blob")).hasBinaryContent(blob);
      assertThat(written).doesNotExist();
      assertThat(sentBlob(b, o, t1)).isEqualTo(blob); // a client with a blob folder of its own
      assertThat(b.call(LoadBefore.of(o, Tid.MAX))).contains(new LoadResult(record, t1, null));

      // the server owns a file once it is stored: an abort deletes it
      Path aborted = Files.write(folder.resolve("0x00abd.tmp-"), blob);
      a.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(o, t1, record, 2));
      a.send(new StoreBlobShared(o, t1, record, "0x00abd.tmp-", 2));
      assertThat(a.call(new TpcAbort(a.id(), 2))).isNull();
      assertThat(aborted).doesNotExist();
      try (var left = Files.list(own)) {
        assertThat(left).isEmpty();
      }

      // the server takes a file when it is named: the name is gone, so another transaction naming
      // it too fails, and the client can no longer change the blob before the commit
      byte[] third = java.util.Arrays.copyOf(blob, 5_000);
      Files.write(folder.resolve("0x00abf.tmp-"), third);
      a.send(new TpcBegin(20, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(o, t1, record, 20));
      a.send(new StoreBlobShared(o, t1, record, "0x00abf.tmp-", 20));
      assertThat(a.call(new Ping(a.id()))).isNull(); // the one-way requests before it are done
      assertThat(folder.resolve("0x00abf.tmp-")).doesNotExist();
      b.send(new TpcBegin(21, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(o, t1, record, 21));
      b.send(new StoreBlobShared(o, t1, record, "0x00abf.tmp-", 21));
      assertThatThrownBy(() -> b.call(new Vote(b.id(), 21)))
          .isInstanceOf(InvalidValueException.class)
          .hasMessageContaining("0x00abf.tmp-");
      assertThat(b.call(new TpcAbort(b.id(), 21))).isNull();
      assertThat(a.call(new Vote(a.id(), 20))).isEqualTo(VoteResult.OK);
      Tid t2 = a.call(new TpcFinish(a.id(), 20));
      assertThat(sentBlob(b, o, t2)).isEqualTo(third);
      assertThat(sentBlob(b, o, t1)).isEqualTo(blob);

      // refused: a vote that names the file and the reason; the file and the connection stay
      Path outside = Files.write(data.resolve("secret"), new byte[] {1, 2, 3});
      Files.createSymbolicLink(folder.resolve("link.tmp-"), outside);
      Files.createLink(folder.resolve("hard.tmp-"), outside);
      Files.createDirectories(folder.resolve("folder.tmp-"));
      Path notTemporary = Files.write(folder.resolve("0x00abe.blob"), blob);
      Map<String, String> refused =
          Map.of(
              "../../../../../../../../secret.tmp", "expected a file name without '/'",
              "0x00abe.blob", "ending in '.tmp'",
              "link.tmp-", "expected a regular file",
              "hard.tmp-", "not a hard link",
              "folder.tmp-", "expected a regular file",
              "missing.tmp-", "this server's blob folder " + data.resolve("blobs"));
      long txn = 3;
      for (var r : refused.entrySet()) {
        long id = txn++;
        a.send(new TpcBegin(id, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        a.send(new StoreA(o, t2, record, id));
        a.send(new StoreBlobShared(o, t2, record, r.getKey(), id));
        assertThatThrownBy(() -> a.call(new Vote(a.id(), id)))
            .as(r.getKey())
            .isInstanceOf(InvalidValueException.class)
            .hasMessageContaining(r.getKey())
            .hasMessageContaining(r.getValue());
        assertThat(a.call(new TpcAbort(a.id(), id))).isNull();
      }
      assertThat(outside).hasBinaryContent(new byte[] {1, 2, 3});
      assertThat(folder.resolve("link.tmp-")).isSymbolicLink();
      assertThat(Files.isSameFile(folder.resolve("hard.tmp-"), outside)).as("given back").isTrue();
      assertThat(folder.resolve("folder.tmp-")).isDirectory();
      assertThat(notTemporary).hasBinaryContent(blob);

      // a good file named after a refused one is taken all the same, and goes with the abort
      Path after = Files.write(folder.resolve("0x00ac0.tmp-"), blob);
      a.send(new TpcBegin(30, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreBlobShared(o, t2, record, "missing.tmp-", 30));
      a.send(new StoreBlobShared(o, t2, record, "0x00ac0.tmp-", 30));
      assertThatThrownBy(() -> a.call(new Vote(a.id(), 30))).hasMessageContaining("missing.tmp-");
      assertThat(a.call(new TpcAbort(a.id(), 30))).isNull();
      assertThat(after).doesNotExist();
      try (var left = Files.list(own)) {
        assertThat(left).isEmpty();
      }
      assertThat(a.call(LoadBefore.of(o, Tid.MAX))).contains(new LoadResult(record, t2, null));
      assertThat(sentBlob(b, o, t2)).isEqualTo(third);
    }
  }

  static final List<String> SYNC_METHODS =
      List.of(
          "register",
          "getInvalidations",
          "loadBefore",
          "loadSerial",
          "getTid",
          "history",
          "new_oids",
          "record_iternext",
          "vote",
          "tpc_finish",
          "tpc_abort",
          "undoLog",
          "undoInfo",
          "pack",
          "iterator_start",
          "iterator_next",
          "iterator_record_start",
          "iterator_record_next",
          "sendBlob");

  static final List<String> ONE_WAY_METHODS =
      List.of(
          "set_client_label",
          "tpc_begin",
          "storea",
          "checkCurrentSerialInTransaction",
          "deleteObject",
          "restorea",
          "undoa",
          "storeBlobStart",
          "storeBlobChunk",
          "storeBlobEnd",
          "iterator_gc");

  /**
   * Arguments no method takes: {@code n} dicts, where every method expects bytes, an int or a str
   * first (a wrong count or a wrong type).
   */
  private static Object badArgs(int n) {
    Object[] args = new Object[n];
    java.util.Arrays.fill(args, Map.of("x", 1L));
    return Tuple.of(args);
  }

  private static Object badArgs() {
    return badArgs(6);
  }

  @Test
  void everySyncCallWithBadArgumentsGetsAnErrorReplyAndTheConnectionStays() {
    try (TestClient c = connect();
        TestClient other = connect()) {
      storeAndVote(other, 1, Oid.ROOT, Tid.Z64, counter(5));
      Tid t1 = other.call(new TpcFinish(other.id(), 1));
      for (String method : SYNC_METHODS) {
        for (int n = 1; n <= 6; n++) {
          long id = c.nextId();
          c.writeFrame(c.codec.encodeValueToArray(Tuple.of(id, false, method, badArgs(n))));
          Message m = c.next();
          String what = method + " with " + n + " dicts";
          assertThat(m).as(what).isInstanceOf(ErrorReply.class);
          ErrorReply e = (ErrorReply) m;
          assertThat(e.msgid()).as(what).isEqualTo(MsgId.of(id));
          assertThat(e.className()).as(what).isEqualTo("builtins.TypeError"); // as ZEO's
          assertThat(c.call(new Ping(c.id()))).as(what).isNull();
        }
      }
      // nothing stored changed, and the other client was not disturbed
      assertThat(other.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .contains(new LoadResult(counter(5), t1, null));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "set_client_label",
        "tpc_begin",
        "storea",
        "checkCurrentSerialInTransaction",
        "deleteObject",
        "restorea",
        "undoa",
        "storeBlobStart",
        "storeBlobChunk",
        "storeBlobEnd",
        "iterator_gc",
        "no_such_method"
      })
  void aBadOneWayCallClosesOnlyThatConnection(String method) {
    try (TestClient c = connect();
        TestClient other = connect()) {
      c.writeFrame(c.codec.encodeValueToArray(Tuple.of(0L, true, method, badArgs())));
      assertThat(c.closedByServer()).as(method).isTrue();
      assertThat(storeAndVote(other, 1, Oid.ROOT, Tid.Z64, counter(1))).isEqualTo(VoteResult.OK);
      assertThat(other.call(new TpcFinish(other.id(), 1))).isNotNull();
    }
  }

  @Test
  void oneWayCallsOutOfOrderCloseTheConnectionAndLeaveTheDataAlone() {
    try (TestClient c = connect();
        TestClient other = connect()) {
      // a store without tpc_begin
      c.send(new StoreA(Oid.ROOT, Tid.Z64, counter(9), 77));
      assertThat(c.closedByServer()).isTrue();
      assertThatThrownBy(() -> other.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .isInstanceOf(NoSuchObjectException.class);
      assertThat(other.call(new LastTransaction(other.id()))).isEqualTo(Tid.Z64);
    }
  }
}
