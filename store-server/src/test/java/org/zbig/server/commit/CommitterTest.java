package org.zbig.server.commit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.zbig.server.ForwardingStorage;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.server.storage.TxnMeta;
import org.zbig.wire.CheckCurrentSerial;
import org.zbig.wire.StoreA;
import org.zbig.wire.UndoA;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ReadConflictException;
import org.zbig.zodb.error.StorageTransactionException;
import org.zbig.zodb.pickle.Bytes;

/**
 * The commit path without sockets: votes under object locks and group commit, against the in-memory
 * storage. Where a test needs a write to be in progress, a storage whose group write waits on a
 * latch (fault injection) holds it there.
 */
class CommitterTest {
  private static final TxnMeta META = new TxnMeta(Bytes.EMPTY, Bytes.EMPTY, Map.of(), " ");

  /** Records what each subscriber is told. */
  static final class Seen implements ServedStorage.Subscriber {
    final List<Tid> tids = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void invalidate(Tid tid, List<Oid> oids) {
      tids.add(tid);
    }

    @Override
    public void info(Map<String, Object> info) {}
  }

  /** The in-memory storage, whose group writes can be held and counted. */
  static final class Held extends ForwardingStorage {
    final List<Integer> groupSizes = Collections.synchronizedList(new ArrayList<>());
    final List<String> writerThreads = Collections.synchronizedList(new ArrayList<>());
    volatile CountDownLatch entered = new CountDownLatch(0);
    volatile CountDownLatch release = new CountDownLatch(0);
    volatile long delayMillis;

    Held() {
      super(KvStorage.inMemory());
    }

    @Override
    public void commitAll(List<Commit> commits) {
      entered.countDown();
      try {
        release.await();
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      groupSizes.add(commits.size());
      writerThreads.add(Thread.currentThread().getName());
      super.commitAll(commits);
    }
  }

  private final Held storage = new Held();
  private final ServedStorage served = new ServedStorage("1", storage, false, 100);
  private final Committer committer = served.committer;
  private final Seen other = new Seen();

  CommitterTest() {
    served.register(other);
  }

  @AfterEach
  void close() {
    served.close();
    storage.close();
  }

  private Txn txn(long id, Seen owner) {
    return new Txn(id, META, null, owner);
  }

  private static Txn store(Txn t, long oid, Tid serial, String data) {
    t.ops.add(new StoreA(new Oid(oid), serial, Bytes.utf8(data), t.id));
    return t;
  }

  /** A transaction that stored {@code data} to {@code oid} over {@code serial} and voted OK. */
  private Txn voted(long id, long oid, Tid serial, String data) throws Exception {
    Txn t = store(txn(id, new Seen()), oid, serial, data);
    assertThat(committer.vote(t).get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
    return t;
  }

  private Tid commit(long id, long oid, Tid serial, String data) throws Exception {
    return committer.finish(voted(id, oid, serial, data)).get(5, TimeUnit.SECONDS);
  }

  @Test
  void finishesQueuedDuringAWriteShareTheNextOneWithIncreasingTidsPublishedInOrder()
      throws Exception {
    storage.entered = new CountDownLatch(1);
    storage.release = new CountDownLatch(1);
    Txn first = store(txn(1, new Seen()), 1, Tid.Z64, "a");
    committer.vote(first).get(5, TimeUnit.SECONDS);
    // the first finish writes on its own thread: hold it inside the write
    AtomicReference<CompletableFuture<Tid>> firstDone = new AtomicReference<>();
    Thread leader = Thread.ofPlatform().start(() -> firstDone.set(committer.finish(first)));
    assertThat(storage.entered.await(5, TimeUnit.SECONDS)).isTrue();
    // five more vote (other objects: no wait) and finish while the write is held
    List<CompletableFuture<Tid>> done = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Txn t = store(txn(10 + i, new Seen()), 10 + i, Tid.Z64, "b" + i);
      assertThat(committer.vote(t).get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
      done.add(committer.finish(t));
    }
    assertThat(done).noneMatch(CompletableFuture::isDone); // not durable yet: no reply
    storage.release.countDown();
    leader.join();
    Tid t1 = firstDone.get().get(5, TimeUnit.SECONDS);
    List<Tid> tids = new ArrayList<>();
    for (CompletableFuture<Tid> f : done) {
      tids.add(f.get(5, TimeUnit.SECONDS));
    }
    assertThat(storage.groupSizes).containsExactly(1, 5);
    assertThat(tids).isSorted().doesNotHaveDuplicates().allMatch(t -> t.compareTo(t1) > 0);
    List<Tid> all = new ArrayList<>(List.of(t1));
    all.addAll(tids);
    assertThat(other.tids).containsExactlyElementsOf(all); // published in tid order
    assertThat(committer.groups.get()).isEqualTo(2);
    assertThat(committer.busy()).isFalse();
  }

  @Test
  void aLoneTransactionIsWrittenByItsCallerAndOneAmongOthersByTheWriterThread() throws Exception {
    served.activeTxns.set(0); // no other transaction is open (a connection counts its own out)
    commit(1, 1, Tid.Z64, "alone");
    served.activeTxns.set(2); // two more clients are between tpc_begin and tpc_finish
    commit(2, 2, Tid.Z64, "among others");
    assertThat(storage.writerThreads)
        .containsExactly(Thread.currentThread().getName(), "zbig-commit-1");
  }

  /**
   * Makes the committer's mean write time about 50 ms (one write of 400 ms), so that a group write
   * may wait that long for open transactions; writes are then fast again.
   */
  private void slowWrites() throws Exception {
    storage.delayMillis = 400;
    commit(100, 100, Tid.Z64, "slow");
    storage.delayMillis = 0;
  }

  private static void awaitTrue(BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!c.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 5 s").isLessThan(deadline);
      Thread.sleep(1);
    }
  }

  @Test
  void aGroupWriteWaitsForTheOpenTransactionsToFinishAndShareIt() throws Exception {
    slowWrites();
    served.commitGather = Duration.ofSeconds(10); // the mean write time limits the wait
    Txn a = voted(2, 2, Tid.Z64, "a");
    Txn b = voted(3, 3, Tid.Z64, "b");
    served.activeTxns.set(1); // b is open; a counted itself out before its finish
    CompletableFuture<Tid> fa = committer.finish(a);
    awaitTrue(committer::gathering); // the writer thread waits for b
    assertThat(fa).isNotDone();
    served.activeTxns.decrementAndGet();
    CompletableFuture<Tid> fb = committer.finish(b);
    Tid ta = fa.get(5, TimeUnit.SECONDS);
    Tid tb = fb.get(5, TimeUnit.SECONDS);
    assertThat(ta).isLessThan(tb);
    assertThat(storage.groupSizes).containsExactly(1, 2); // the slow write, then a and b together
    assertThat(storage.writerThreads.getLast()).isEqualTo("zbig-commit-1");
    assertThat(committer.gathering()).isFalse();
  }

  @Test
  void anAbortEndsTheWaitForItAtOnce() throws Exception {
    slowWrites();
    served.commitGather = Duration.ofSeconds(10);
    Txn a = voted(2, 2, Tid.Z64, "a");
    Txn b = voted(3, 3, Tid.Z64, "b");
    served.activeTxns.set(1); // b is open
    CompletableFuture<Tid> fa = committer.finish(a);
    awaitTrue(committer::gathering);
    served.activeTxns.decrementAndGet(); // as a connection counts out an aborted transaction
    committer.abort(b);
    fa.get(5, TimeUnit.SECONDS);
    // woken, not timed out: a wait that timed out in vain would have turned the next ones off
    assertThat(committer.gatherSkips()).isZero();
    assertThat(storage.groupSizes).containsExactly(1, 1);
  }

  @Test
  void aFailedVoteEndsTheWaitForItOnceItsConnectionCountsItOut() throws Exception {
    slowWrites();
    served.commitGather = Duration.ofSeconds(10);
    Tid t0 = commit(1, 3, Tid.Z64, "v0");
    commit(2, 3, t0, "v1");
    Txn a = voted(4, 4, Tid.Z64, "a");
    served.activeTxns.set(1); // b is open
    CompletableFuture<Tid> fa = committer.finish(a);
    awaitTrue(committer::gathering);
    Txn b = txn(5, new Seen());
    b.ops.add(new CheckCurrentSerial(new Oid(3), t0, 5)); // fails: oid 3 changed since t0
    assertThatThrownBy(() -> committer.vote(b).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ReadConflictException.class);
    assertThat(committer.gathering()).as("b is still counted as open").isTrue();
    served.activeTxns.decrementAndGet(); // as its connection counts out the failed vote
    committer.wake();
    fa.get(5, TimeUnit.SECONDS);
    // woken, not timed out: a wait that timed out in vain would have turned the next ones off
    assertThat(committer.gatherSkips()).isZero();
    assertThat(storage.groupSizes).containsExactly(1, 1, 1, 1);
  }

  @Test
  void withoutGatheringAGroupWriteDoesNotWaitForOpenTransactions() throws Exception {
    slowWrites();
    served.commitGather = Duration.ZERO;
    Txn a = voted(2, 2, Tid.Z64, "a");
    served.activeTxns.set(1); // another transaction stays open
    committer.finish(a).get(5, TimeUnit.SECONDS);
    assertThat(storage.groupSizes).containsExactly(1, 1);
    assertThat(committer.gatherSkips()).isZero();
  }

  @Test
  void aGroupWriteDoesNotWaitForAVoteThatWaitsForOneOfItsLocks() throws Exception {
    slowWrites();
    served.commitGather = Duration.ofSeconds(10);
    Txn a = store(txn(2, new Seen()), 2, Tid.Z64, "a");
    Txn b = store(txn(3, new Seen()), 2, Tid.Z64, "b"); // the same object
    assertThat(committer.vote(a).get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
    CompletableFuture<VoteResult> bv = committer.vote(b);
    assertThat(committer.waitingCount()).isEqualTo(1);
    served.activeTxns.set(1); // b is open, but only a's write can let it go on
    Tid ta = committer.finish(a).get(5, TimeUnit.SECONDS);
    assertThat(committer.gatherSkips()).isZero(); // no wait (one in vain would turn them off)
    assertThat(bv.get(5, TimeUnit.SECONDS).conflicts().getFirst().committed()).isEqualTo(ta);
  }

  @Test
  void aWaitThatGathersNothingTurnsTheWaitsOffForSixteenGroups() throws Exception {
    slowWrites();
    served.commitGather = Duration.ofSeconds(10);
    served.activeTxns.set(1); // a long upload stays open throughout
    long start = System.nanoTime();
    Txn a = voted(2, 2, Tid.Z64, "a");
    committer.finish(a).get(5, TimeUnit.SECONDS); // after waiting the mean write time in vain
    assertThat(System.nanoTime() - start).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(20));
    assertThat(committer.gatherSkips()).isEqualTo(16);
    for (int i = 0; i < 3; i++) {
      commit(10 + i, 10 + i, Tid.Z64, "n" + i);
    }
    assertThat(committer.gatherSkips()).isEqualTo(13);
    assertThat(storage.groupSizes).containsExactly(1, 1, 1, 1, 1);
  }

  @Test
  void aVoteOnALockedObjectWaitsForTheFinishAndThenSeesAConflict() throws Exception {
    Tid t0 = commit(1, 5, Tid.Z64, "v0");
    Txn a = store(txn(2, new Seen()), 5, t0, "a");
    Txn b = store(txn(3, new Seen()), 5, t0, "b"); // both read t0
    assertThat(committer.vote(a).get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
    CompletableFuture<VoteResult> bv = committer.vote(b);
    assertThat(bv).isNotDone();
    assertThat(committer.waitingCount()).isEqualTo(1);
    Tid ta = committer.finish(a).get(5, TimeUnit.SECONDS);
    VoteResult r = bv.get(5, TimeUnit.SECONDS);
    assertThat(r.conflicts()).hasSize(1);
    assertThat(r.conflicts().getFirst().committed()).isEqualTo(ta);
    assertThat(r.conflicts().getFirst().read()).isEqualTo(t0);
    assertThat(b.state).isEqualTo(Txn.State.CONFLICTS);
  }

  @Test
  void aVoteWithConflictsKeepsItsLocksUntilTheReVote() throws Exception {
    Tid t0 = commit(1, 5, Tid.Z64, "v0");
    Tid t1 = commit(2, 5, t0, "v1");
    Txn stale = store(txn(3, new Seen()), 5, t0, "stale");
    VoteResult r = committer.vote(stale).get(5, TimeUnit.SECONDS);
    assertThat(r.conflicts()).hasSize(1);
    // another client cannot commit the object while the first resolves
    Txn rival = store(txn(4, new Seen()), 5, t1, "rival");
    CompletableFuture<VoteResult> rv = committer.vote(rival);
    assertThat(rv).isNotDone();
    // the re-vote with the resolved state succeeds at once and finishes
    store(stale, 5, t1, "resolved");
    assertThat(committer.vote(stale).get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
    Tid t2 = committer.finish(stale).get(5, TimeUnit.SECONDS);
    assertThat(storage.loadBefore(new Oid(5), Tid.MAX).orElseThrow().data())
        .isEqualTo(Bytes.utf8("resolved"));
    // only then does the rival vote, and meets the resolved commit
    assertThat(rv.get(5, TimeUnit.SECONDS).conflicts().getFirst().committed()).isEqualTo(t2);
  }

  @Test
  void abortReleasesLocksAndDropsAWaitingVote() throws Exception {
    Txn a = store(txn(1, new Seen()), 7, Tid.Z64, "a");
    Txn b = store(txn(2, new Seen()), 7, Tid.Z64, "b");
    Txn c = store(txn(3, new Seen()), 7, Tid.Z64, "c");
    committer.vote(a).get(5, TimeUnit.SECONDS);
    CompletableFuture<VoteResult> bv = committer.vote(b);
    CompletableFuture<VoteResult> cv = committer.vote(c);
    assertThat(committer.waitingCount()).isEqualTo(2);
    committer.abort(b); // leaves the queue
    assertThatThrownBy(() -> bv.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(StorageTransactionException.class);
    assertThat(cv).isNotDone();
    committer.abort(a); // c gets the lock
    assertThat(cv.get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
    assertThat(committer.finish(c).get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(committer.busy()).isFalse();
  }

  @Test
  void votingTwiceOrFinishingUnvotedIsRefused() throws Exception {
    Txn a = store(txn(1, new Seen()), 1, Tid.Z64, "a");
    assertThatThrownBy(() -> committer.finish(a))
        .isInstanceOf(StorageTransactionException.class)
        .hasMessageContaining("before a successful vote");
    committer.vote(a).get(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> committer.vote(a)).hasMessageContaining("Already voting (locked)");
    Txn b = store(txn(2, new Seen()), 1, Tid.Z64, "b");
    committer.vote(b);
    assertThatThrownBy(() -> committer.vote(b)).hasMessageContaining("Already voting (waiting)");
  }

  @Test
  void aFailedCheckDiscardsTheTransactionAndItsLocks() throws Exception {
    Tid t0 = commit(1, 3, Tid.Z64, "v0");
    commit(2, 3, t0, "v1");
    Txn t = txn(3, new Seen());
    t.ops.add(new CheckCurrentSerial(new Oid(3), t0, 3));
    store(t, 4, Tid.Z64, "x");
    assertThatThrownBy(() -> committer.vote(t).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ReadConflictException.class);
    assertThat(t.state).isEqualTo(Txn.State.DONE);
    assertThat(committer.lockedCount()).isZero();
  }

  @Test
  void anUndoTakesTheWholeStorage() throws Exception {
    Tid t0 = commit(1, 1, Tid.Z64, "one");
    Txn holder = store(txn(2, new Seen()), 2, Tid.Z64, "two");
    committer.vote(holder).get(5, TimeUnit.SECONDS);
    Txn undo = txn(3, new Seen());
    undo.ops.add(
        new UndoA(Bytes.wrap(java.util.Base64.getEncoder().encode(t0.toBytes())), undo.id));
    CompletableFuture<VoteResult> uv = committer.vote(undo);
    assertThat(uv).as("waits although it touches another object").isNotDone();
    Txn after = store(txn(4, new Seen()), 9, Tid.Z64, "nine");
    CompletableFuture<VoteResult> av = committer.vote(after);
    committer.finish(holder).get(5, TimeUnit.SECONDS);
    assertThat(uv.get(5, TimeUnit.SECONDS).changed()).containsExactly(new Oid(1));
    assertThat(av).as("waits for the undo").isNotDone();
    committer.finish(undo).get(5, TimeUnit.SECONDS);
    assertThat(av.get(5, TimeUnit.SECONDS)).isEqualTo(VoteResult.OK);
  }

  @Test
  void aFailedGroupWriteFailsEveryMemberAndPublishesNothing() throws Exception {
    Storage failing =
        new ForwardingStorage(KvStorage.inMemory()) {
          @Override
          public void commitAll(List<Commit> commits) {
            throw new org.zbig.zodb.error.StorageException("disk full (injected)");
          }
        };
    ServedStorage s = new ServedStorage("f", failing, false, 100);
    Seen seen = new Seen();
    s.register(seen);
    try {
      Txn t = store(new Txn(1, META, null, new Seen()), 1, Tid.Z64, "x");
      s.committer.vote(t).get(5, TimeUnit.SECONDS);
      assertThatThrownBy(() -> s.committer.finish(t).get(5, TimeUnit.SECONDS))
          .hasMessageContaining("disk full (injected)");
      assertThat(seen.tids).isEmpty();
      assertThat(s.committer.busy()).isFalse();
      assertThat(failing.lastTransaction()).isEqualTo(Tid.Z64);
    } finally {
      s.close();
      failing.close();
    }
  }

  @Test
  void manyThreadsCommittingTheSameObjectsLoseNothing() throws Exception {
    int threads = 8;
    int each = 50;
    for (int k = 0; k < 4; k++) {
      commit(100 + k, 1 + k, Tid.Z64, "0");
    }
    AtomicInteger conflicts = new AtomicInteger();
    AtomicInteger txnIds = new AtomicInteger(1000);
    // every thread reads its first object before any votes: threads i and i + 4 share one, so
    // at least four first votes meet a conflict, whatever the scheduling
    java.util.concurrent.CyclicBarrier readAll = new java.util.concurrent.CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int me = i;
      ts.add(
          Thread.ofPlatform()
              .start(() -> {
                boolean first = true;
                for (int n = 0; n < each; ) {
                  long oid = 1L + (me + n) % 4;
                  var cur = storage.loadBefore(new Oid(oid), Tid.MAX).orElseThrow();
                  long v = Long.parseLong(cur.data().latin1());
                  Txn t = store(txn(txnIds.incrementAndGet(), new Seen()), oid, cur.start(), "");
                  t.ops.set(
                      0, new StoreA(new Oid(oid), cur.start(), Bytes.utf8("" + (v + 1)), t.id));
                  try {
                    if (first) {
                      first = false;
                      readAll.await(10, TimeUnit.SECONDS);
                    }
                    VoteResult r = committer.vote(t).get(10, TimeUnit.SECONDS);
                    if (!r.conflicts().isEmpty()) {
                      conflicts.incrementAndGet();
                      committer.abort(t);
                      continue;
                    }
                    committer.finish(t).get(10, TimeUnit.SECONDS);
                    n++;
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                }
              }));
    }
    for (Thread t : ts) {
      t.join();
    }
    long sum = 0;
    for (int k = 0; k < 4; k++) {
      sum +=
          Long.parseLong(storage.loadBefore(new Oid(1 + k), Tid.MAX).orElseThrow().data().latin1());
    }
    assertThat(sum).isEqualTo((long) threads * each);
    assertThat(conflicts.get()).as("conflicts happened").isGreaterThanOrEqualTo(4);
    assertThat(committer.busy()).isFalse();
  }
}
