package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.storage.PostgresStorage;
import org.zbig.server.storage.PostgresTestDatabase;
import org.zbig.wire.InvalidateTransaction;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Message;
import org.zbig.wire.NewOids;
import org.zbig.wire.Ping;
import org.zbig.wire.Register;
import org.zbig.wire.ServerCall;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * Sixteen clients commit at once through a server on RocksDB: their finishes share synced writes,
 * every acknowledged commit is stored, tids strictly increase, and a third party sees every
 * invalidation once, in tid order.
 */
class GroupCommitTest {
  @TempDir Path dir;

  @Test
  void sixteenCommittersShareSyncedWritesAndLoseNothing() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory().withData(dir.resolve("d")))) {
      sixteenCommitters(server);
    }
  }

  /** The same through a server on PostgreSQL: its groups are one statement each. */
  @Test
  void sixteenCommittersShareSyncedWritesOnPostgres() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create();
        ZeoServer server =
            ZeoServer.start(
                ServerConfig.inMemory(),
                Limits.defaults(),
                null,
                List.of(),
                PostgresStorage.open(db.url(), null, null, 4, dir.resolve("pg")))) {
      sixteenCommitters(server);
    }
  }

  /**
   * Sixteen clients commit 40 transactions each, all at once; asserts what every server must
   * guarantee and that finishes shared synced writes.
   */
  static void sixteenCommitters(ZeoServer server) throws Exception {
    int committers = 16;
    int each = 40;
    try (TestClient observer = new TestClient(server.address())) {
      observer.call(new Register(observer.id(), "1", false));
      List<List<Tid>> tids = new ArrayList<>();
      List<Map<Oid, Bytes>> written = new ArrayList<>();
      CyclicBarrier start = new CyclicBarrier(committers);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < committers; i++) {
        List<Tid> mine = new ArrayList<>();
        Map<Oid, Bytes> values = new java.util.HashMap<>();
        tids.add(mine);
        written.add(values);
        threads.add(
            Thread.ofPlatform()
                .start(() -> {
                  try (TestClient c = new TestClient(server.address())) {
                    c.call(new Register(c.id(), "1", false));
                    Oid own = c.call(new NewOids(c.id(), 1)).getFirst();
                    Tid serial = Tid.Z64;
                    start.await(10, TimeUnit.SECONDS);
                    for (long txn = 1; txn <= each; txn++) {
                      Bytes v = Bytes.wrap(ByteBuffer.allocate(8).putLong(txn).array());
                      c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
                      c.send(new StoreA(own, serial, v, txn));
                      assertThat(c.call(new Vote(c.id(), txn))).isEqualTo(VoteResult.OK);
                      serial = c.call(new TpcFinish(c.id(), txn));
                      mine.add(serial);
                      values.put(own, v);
                    }
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                }));
      }
      for (Thread t : threads) {
        t.join();
      }
      List<Tid> all = new ArrayList<>();
      tids.forEach(all::addAll);
      assertThat(all).hasSize(committers * each).doesNotHaveDuplicates();
      for (List<Tid> mine : tids) {
        assertThat(mine).isSorted();
      }
      // the observer saw every commit once, in tid order, before the reply to its ping
      observer.call(new Ping(observer.id()));
      List<Tid> seen = new ArrayList<>();
      for (ServerCall call : observer.calls) {
        if (call instanceof InvalidateTransaction inv) {
          seen.add(inv.tid());
        }
      }
      List<Tid> sorted = new ArrayList<>(all);
      Collections.sort(sorted);
      assertThat(seen).containsExactlyElementsOf(sorted);
      // every acknowledged commit is stored
      for (int i = 0; i < committers; i++) {
        for (var e : written.get(i).entrySet()) {
          assertThat(observer.call(LoadBefore.of(e.getKey(), Tid.MAX)))
              .contains(new LoadResult(e.getValue(), tids.get(i).getLast(), null));
        }
      }
      Map<String, Object> st = server.status().get("1");
      long commits = (Long) st.get("commits");
      long groups = (Long) st.get("commit-groups");
      assertThat(commits).isEqualTo((long) committers * each);
      assertThat(groups).as("finishes shared synced writes").isLessThan(commits);
      System.out.printf(
          "%d commits in %d synced writes (%.1f per write)%n",
          commits, groups, commits / (double) groups);
    }
  }

  /**
   * Two committers in one group: each receives its own finish reply before the invalidation of the
   * group's later transaction (ZEO's client refuses a last tid that goes backwards). The first
   * group's write is held (a storage whose group write waits on a latch) so that the next two
   * finishes share a group.
   */
  @Test
  void aCommitterGetsItsReplyBeforeTheInvalidationsOfLaterTransactionsOfItsGroup()
      throws Exception {
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean first =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
    ForwardingStorage held =
        new ForwardingStorage(org.zbig.server.storage.KvStorage.inMemory()) {
          @Override
          public void commitAll(java.util.List<Commit> commits) {
            if (first.getAndSet(false)) {
              entered.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            sizes.add(commits.size());
            super.commitAll(commits);
          }
        };
    try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), held);
        TestClient c0 = new TestClient(server.address());
        TestClient c1 = new TestClient(server.address());
        TestClient c2 = new TestClient(server.address())) {
      for (TestClient c : List.of(c0, c1, c2)) {
        c.call(new Register(c.id(), "1", false));
      }
      List<TestClient> cs = List.of(c0, c1, c2);
      for (int i = 0; i < 3; i++) {
        TestClient c = cs.get(i);
        c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        c.send(new StoreA(new Oid(10 + i), Tid.Z64, Bytes.utf8("v" + i), 1));
        assertThat(c.call(new Vote(c.id(), 1))).isEqualTo(VoteResult.OK);
      }
      TpcFinish f0 = new TpcFinish(c0.id(), 1);
      c0.send(f0); // its write is held
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      TpcFinish f1 = new TpcFinish(c1.id(), 1);
      TpcFinish f2 = new TpcFinish(c2.id(), 1);
      c1.send(f1);
      c2.send(f2);
      for (int i = 0; i < 1000 && server.served().committer.queuedCount() < 2; i++) {
        Thread.sleep(10); // until both are queued behind the held write
      }
      assertThat(server.served().committer.queuedCount()).isEqualTo(2);
      release.countDown();
      for (TestClient c : List.of(c1, c2)) {
        Message reply = c.next(); // server calls met on the way are kept in calls
        Tid mine = f1.decodeResult(((org.zbig.wire.Reply) reply).value());
        for (ServerCall call : c.calls) {
          if (call instanceof InvalidateTransaction inv) {
            assertThat(inv.tid()).as("an invalidation before the reply").isLessThan(mine);
          }
        }
      }
      c0.next();
      assertThat(sizes).containsExactly(1, 2);
    }
  }

  @Test
  void lastTransactionNamesNoTransactionWhoseInvalidationIsStillToCome() throws Exception {
    java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    ForwardingStorage held =
        new ForwardingStorage(org.zbig.server.storage.KvStorage.inMemory()) {
          @Override
          public void commitAll(java.util.List<Commit> commits) {
            super.commitAll(commits); // in the storage, its invalidations not yet sent
            written.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), held);
        TestClient c0 = new TestClient(server.address());
        TestClient c1 = new TestClient(server.address())) {
      c0.call(new Register(c0.id(), "1", false));
      c1.call(new Register(c1.id(), "1", false));
      Tid before = c1.call(new org.zbig.wire.LastTransaction(c1.id()));
      c0.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c0.send(new StoreA(new Oid(10), Tid.Z64, Bytes.utf8("v"), 1));
      assertThat(c0.call(new Vote(c0.id(), 1))).isEqualTo(VoteResult.OK);
      TpcFinish f = new TpcFinish(c0.id(), 1);
      c0.send(f);
      assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
      // a client connecting now asks for the last tid: the written transaction is not it, since
      // its invalidation comes later (ZEO's client refuses an invalidation older than its last
      // tid; ZEO's own invalidations_while_connecting test met this)
      assertThat(held.lastTransaction()).isGreaterThan(before);
      assertThat(c1.call(new org.zbig.wire.LastTransaction(c1.id()))).isEqualTo(before);
      release.countDown();
      Tid t = f.decodeResult(((org.zbig.wire.Reply) c0.next()).value());
      c1.call(new org.zbig.wire.Ping(c1.id())); // the invalidation comes before the ping's reply
      assertThat(c1.calls)
          .filteredOn(InvalidateTransaction.class::isInstance)
          .extracting(call -> ((InvalidateTransaction) call).tid())
          .containsExactly(t);
      assertThat(c1.call(new org.zbig.wire.LastTransaction(c1.id()))).isEqualTo(t);
    }
  }
}
