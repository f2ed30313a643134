package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.storage.PostgresStorage;
import org.zbig.server.storage.PostgresTestDatabase;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.InvalidateTransaction;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Ping;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.ResolvableConflict;
import org.zbig.wire.StoreA;
import org.zbig.wire.StoreBlobShared;
import org.zbig.wire.TpcAbort;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * A server on PostgreSQL next to another writer of the same database (a second {@link
 * PostgresStorage} in this JVM, standing for another server), so that the other server's lock and
 * commits happen exactly when the test says (docs/protocol.md §5.5, 5.6).
 */
class PostgresServerTest {
  private static final TxnMeta META =
      new TxnMeta(Bytes.utf8("/ other"), Bytes.utf8("elsewhere"), Map.of(), " ");

  @TempDir Path dir;
  private PostgresTestDatabase db;
  private ZeoServer server;
  private PostgresStorage other;

  @BeforeEach
  void start() throws Exception {
    db = PostgresTestDatabase.create();
    PostgresStorage mine = PostgresStorage.open(db.url(), null, null, 4, dir.resolve("mine"));
    server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), mine);
    other = PostgresStorage.open(db.url(), null, null, 3, dir.resolve("other"));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (other != null) {
      other.close();
    }
    if (db != null) {
      db.close();
    }
  }

  private TestClient connect() {
    TestClient c = new TestClient(server.address());
    c.call(new Register(c.id(), "1", false));
    return c;
  }

  /** Commits through the other writer, as another server would: under the database lock. */
  private Tid commitElsewhere(long t, Oid oid, String data) {
    other.catchUp();
    Tid tid = new Tid(t);
    other.commit(tid, META, List.of(Write.data(oid, Bytes.utf8(data))));
    return tid;
  }

  @Test
  void aVoteWaitsForAnotherServersLockWithoutStoppingTheConnectionAndThenSeesItsCommit()
      throws Exception {
    Oid oid = new Oid(1);
    try (TestClient c = connect()) {
      Tid t0 = Tid.now();
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(oid, Tid.Z64, Bytes.utf8("base"), 1));
      assertThat(c.call(new Vote(c.id(), 1))).isEqualTo(VoteResult.OK);
      Tid base = c.call(new TpcFinish(c.id(), 1));
      assertThat(base).isGreaterThanOrEqualTo(t0);

      // the other server takes the commit lock (it is between its vote and its finish)
      other.catchUp();
      other.lockCommits();
      c.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(oid, base, Bytes.utf8("mine"), 2));
      Vote vote = new Vote(c.id(), 2);
      c.send(vote);
      // the vote waits, the connection goes on serving
      assertThat(c.call(new Ping(c.id()))).isNull();
      assertThat(c.call(LoadBefore.of(oid, Tid.MAX)))
          .contains(new LoadResult(Bytes.utf8("base"), base, null));
      // the other server commits over base and finishes
      Tid theirs = commitElsewhere(base.value() + 1, oid, "theirs");
      other.unlockCommits();
      // the waiting vote sees that commit: a conflict
      Reply late = (Reply) c.next();
      assertThat(late.msgid()).isEqualTo(vote.msgid());
      assertThat(vote.decodeResult(late.value()).conflicts())
          .containsExactly(new ResolvableConflict(oid, theirs, base, Bytes.utf8("mine")));
      // resolved, the commit goes through with a later tid; the invalidation of the other
      // server's commit reaches the client before the answer to its next request
      c.send(new StoreA(oid, theirs, Bytes.utf8("resolved"), 2));
      assertThat(c.call(new Vote(c.id(), 2))).isEqualTo(VoteResult.OK);
      assertThat(c.calls).contains(new InvalidateTransaction(theirs, List.of(oid)));
      assertThat(c.call(new TpcFinish(c.id(), 2))).isGreaterThan(theirs);
    }
  }

  /**
   * The server keeps the database lock between its transactions (its lease) until another server
   * says it waits: from then on its new votes wait, the lock goes to the other server as soon as
   * the transactions inside have finished, and the waiting votes go on once it is back, seeing what
   * the other server committed.
   */
  @Test
  void theLeaseGoesToAnotherServerThatWaitsAndNewVotesWaitForItsReturn() throws Exception {
    try (TestClient a = connect();
        TestClient b = connect()) {
      Oid mine = new Oid(1);
      Oid theirs = new Oid(2);
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(mine, Tid.Z64, Bytes.utf8("a"), 1));
      assertThat(a.call(new Vote(a.id(), 1))).isEqualTo(VoteResult.OK);
      assertThat(leaseState()).isEqualTo("held"); // a's transaction is inside

      // the other server asks for the lock and blocks: it says so, and the lease yields
      CountDownLatch locked = new CountDownLatch(1);
      Thread waiter =
          Thread.ofPlatform()
              .start(() -> {
                other.lockCommits();
                locked.countDown();
              });
      awaitLeaseState("yielding");
      assertThat(locked.getCount()).as("the lock stays while a is inside").isEqualTo(1);

      // a new vote waits outside; the connection goes on serving
      b.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(new Oid(3), Tid.Z64, Bytes.utf8("b"), 1));
      Vote bVote = new Vote(b.id(), 1);
      b.send(bVote);
      assertThat(b.call(new Ping(b.id()))).isNull();

      // a finishes: the lease is given back and the other server gets the lock
      Tid aTid = a.call(new TpcFinish(a.id(), 1));
      assertThat(locked.await(10, TimeUnit.SECONDS)).as("the other server's lock").isTrue();
      waiter.join();
      // b's vote still waits: the reply to a ping comes first (call fails on any other reply)
      assertThat(b.call(new Ping(b.id()))).isNull();

      // it commits and gives the lock back: b's vote enters a new lease that has seen that commit
      other.catchUp();
      Tid otherTid = new Tid(aTid.value() + 1);
      other.commit(otherTid, META, List.of(Write.data(theirs, Bytes.utf8("theirs"))));
      other.unlockCommits();
      Reply late = (Reply) b.next();
      assertThat(late.msgid()).isEqualTo(bVote.msgid());
      assertThat(bVote.decodeResult(late.value())).isEqualTo(VoteResult.OK);
      assertThat(b.calls).contains(new InvalidateTransaction(otherTid, List.of(theirs)));
      assertThat(b.call(new TpcFinish(b.id(), 1))).isGreaterThan(otherTid);
      assertThat((Long) server.status().get("1").get("database-leases")).isEqualTo(2L);
    }
  }

  private String leaseState() {
    return (String) server.status().get("1").get("database-lease");
  }

  private void awaitLeaseState(String state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!leaseState().equals(state)) {
      assertThat(System.nanoTime()).as("lease " + state + " in time").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void aCommitElsewhereReachesEveryClientWithoutAnyVoteHere() throws Exception {
    try (TestClient c = connect()) {
      Tid tid = commitElsewhere(Tid.now().value(), new Oid(7), "seven");
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!c.calls.contains(new InvalidateTransaction(tid, List.of(new Oid(7))))) {
        assertThat(System.nanoTime()).as("invalidation in time").isLessThan(deadline);
        c.call(new Ping(c.id()));
        Thread.sleep(20);
      }
      assertThat(c.call(LoadBefore.of(new Oid(7), Tid.MAX)))
          .contains(new LoadResult(Bytes.utf8("seven"), tid, null));
    }
  }

  @Test
  void aClientSharingABlobFolderIsToldThatBlobsLiveInTheDatabase() throws Exception {
    try (TestClient c = connect()) {
      Oid o = new Oid(3);
      Bytes record = Bytes.utf8("blob record");
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(o, Tid.Z64, record, 1));
      c.send(new StoreBlobShared(o, Tid.Z64, record, "0x01abc.tmp-", 1));
      assertThatThrownBy(() -> c.call(new Vote(c.id(), 1)))
          .hasMessageContaining("keeps its blobs in its database")
          .hasMessageContaining("blob_dir of its own");
      assertThat(c.call(new TpcAbort(c.id(), 1))).isNull();
      assertThat(c.call(new Ping(c.id()))).isNull(); // the connection stays
      assertThatThrownBy(() -> c.call(LoadBefore.of(o, Tid.MAX)))
          .isInstanceOf(NoSuchObjectException.class); // nothing committed
    }
  }
}
