package org.zbig.server.commit;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.zbig.server.storage.Storage;
import org.zbig.server.storage.Write;
import org.zbig.wire.CheckCurrentSerial;
import org.zbig.wire.DeleteObject;
import org.zbig.wire.OneWayRequest;
import org.zbig.wire.ResolvableConflict;
import org.zbig.wire.RestoreA;
import org.zbig.wire.StoreA;
import org.zbig.wire.StoreBlobEnd;
import org.zbig.wire.UndoA;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadConflictException;
import org.zbig.zodb.error.StorageTransactionException;
import org.zbig.zodb.error.UndoException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.KnownResolution;

/**
 * The commit path of one storage, without channels: votes under object locks, finishes written in
 * groups that share one synced write (group commit).
 *
 * <p><b>Votes.</b> A vote takes the locks of every object its transaction stores, deletes, restores
 * or checks, all at once or none: when another transaction holds one of them, the vote waits (its
 * future completes later, on the thread that released the lock). With its locks, the vote replays
 * the operations against the committed state: no other transaction can change those objects until
 * it finishes or aborts, so what the vote checked stays true. A store that conflicts is merged here
 * when its class is one a server can resolve without Python (B-tree buckets and {@code
 * BTrees.Length}, {@link KnownResolution}), as Python's ZEO server does, and the vote names it
 * among the objects the client must reload; other conflicts go back to the client. A vote that
 * returns conflicts for the client to resolve keeps its locks until the re-vote (releasing them
 * would let other clients commit meanwhile and the re-vote meet new conflicts, round after round).
 * An undo takes the whole storage (the objects it changes are known only once it is computed).
 * Votes that come after a waiting whole-storage vote wait behind it, so that it is not starved.
 * When several servers share the storage, a vote with its object locks also enters this server's
 * lease of the database's commit lock ({@link ServedStorage#enterDatabase}): while the lease lasts
 * no other server commits, so the votes inside it check conflicts and their finishes are grouped as
 * on a storage of this server's own; a vote that waits for object locks leaves the lease first, so
 * that the lease never waits for an object lock.
 *
 * <p><b>Finishes.</b> {@code tpc_finish} queues the voted transaction. When no write is in
 * progress, the finishing thread writes the queue itself (a lone committer pays no thread hop);
 * otherwise the queue waits, and what queued up during a write goes to the writer thread. A write
 * takes everything queued, gives each transaction its tid (strictly increasing, in queue order),
 * writes them with one synced write ({@link Storage#commitAll}), publishes them in tid order and
 * only then completes their futures: transactions that finish while a write is syncing share the
 * next one (group commit). Before it takes a group, the writer thread waits for the transactions
 * still open (begun, not yet finished) to queue too, at most for a write's mean time and {@link
 * ServedStorage#commitGather} ({@link #gather}): a group commit's storage, PostgreSQL most, then
 * takes fewer and bigger writes. Members of one group never write the same object: each holds its
 * objects' locks.
 *
 * <p>Thread-safe: every state change happens under this object's monitor, which is never held while
 * waiting for the disk.
 */
public final class Committer implements AutoCloseable {
  private record Pending(Txn txn, boolean exclusive, CompletableFuture<VoteResult> result) {}

  private final ServedStorage served;
  private final Storage storage;
  private final ExecutorService writer;

  // guarded by this
  private final Map<Oid, Txn> locks = new LinkedHashMap<>();
  private Txn exclusive;
  private final List<Pending> waiting = new ArrayList<>();
  private final List<Txn> queued = new ArrayList<>();
  private boolean writing;
  private int finishing; // transactions queued or being written

  /** Groups written and the transactions in them, for the status page and tests. */
  final AtomicLong groups = new AtomicLong();

  final AtomicLong grouped = new AtomicLong();

  /** Conflicts resolved here (not by the client), for the status page and ZEO's status. */
  final AtomicLong resolved = new AtomicLong();

  Committer(ServedStorage served) {
    this.served = served;
    this.storage = served.storage;
    this.writer =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("zbig-commit-" + served.name).daemon().factory());
  }

  // ---- votes ----

  /**
   * Votes {@code t}: completes with the vote result once its locks are held and its operations
   * replayed, or exceptionally (the transaction then holds nothing and is {@link Txn.State#DONE}).
   *
   * @throws StorageTransactionException at once if {@code t} is already voting or voted
   */
  public synchronized CompletableFuture<VoteResult> vote(Txn t) {
    switch (t.state) {
      case WAITING -> throw new StorageTransactionException("Already voting (waiting)");
      case VOTED, FINISHING -> throw new StorageTransactionException("Already voting (locked)");
      case DONE -> throw new StorageTransactionException("vote of a finished transaction");
      case OPEN, CONFLICTS -> {}
    }
    Set<Oid> need = lockSet(t);
    boolean excl = wholeStorage(t);
    boolean behindExclusive = waiting.stream().anyMatch(p -> p.exclusive);
    if (!behindExclusive && canAcquire(t, need, excl)) {
      acquire(t, need, excl);
      return start(t);
    }
    // all or nothing: locks kept from a vote with conflicts are given up while waiting, and so is
    // its place in the database lease (the lease must never wait on an object lock)
    unlock(t);
    served.releaseDatabase(t);
    t.state = Txn.State.WAITING;
    Pending p = new Pending(t, excl, new CompletableFuture<>());
    waiting.add(p);
    grant();
    wakeGatherer(); // one fewer transaction the group write can wait for
    return p.result();
  }

  /** Whether {@code t}'s vote takes the whole storage: an undo. */
  private static boolean wholeStorage(Txn t) {
    return t.ops.stream().anyMatch(UndoA.class::isInstance);
  }

  private static Set<Oid> lockSet(Txn t) {
    Set<Oid> oids = new LinkedHashSet<>();
    for (OneWayRequest op : t.ops) {
      switch (op) {
        case StoreA r -> oids.add(r.oid());
        case CheckCurrentSerial r -> oids.add(r.oid());
        case DeleteObject r -> oids.add(r.oid());
        case RestoreA r -> oids.add(r.oid());
        case StoreBlobEnd r -> oids.add(r.oid());
        default -> {}
      }
    }
    return oids;
  }

  private boolean canAcquire(Txn t, Set<Oid> need, boolean excl) {
    if (exclusive != null && exclusive != t) {
      return false;
    }
    if (excl) {
      for (Txn holder : locks.values()) {
        if (holder != t) {
          return false;
        }
      }
      return finishing == 0 || exclusive == t;
    }
    for (Oid oid : need) {
      Txn holder = locks.get(oid);
      if (holder != null && holder != t) {
        return false;
      }
    }
    return true;
  }

  private void acquire(Txn t, Set<Oid> need, boolean excl) {
    if (locks.isEmpty() && exclusive == null) {
      lockedSince = System.currentTimeMillis();
    }
    for (Oid oid : need) {
      locks.put(oid, t);
      t.locked.add(oid);
    }
    if (excl) {
      exclusive = t;
    }
  }

  /** Releases what {@code t} holds (not the waiting votes: see {@link #grant}). */
  private void unlock(Txn t) {
    for (Oid oid : t.locked) {
      locks.remove(oid, t);
    }
    t.locked.clear();
    if (exclusive == t) {
      exclusive = null;
    }
    if (locks.isEmpty() && exclusive == null) {
      lockedSince = 0;
    }
  }

  private long lockedSince; // epoch millis since when some lock has been held, 0 when none

  /** Since when (epoch seconds) some transaction has held locks without a pause, or null. */
  synchronized Double lockTime() {
    return lockedSince == 0 ? null : lockedSince / 1000.0;
  }

  private boolean granting; // inside grant(): a nested call only asks for another pass
  private boolean again;

  /** Starts the waiting votes whose locks are free now, oldest first. */
  private void grant() {
    if (granting) {
      again = true;
      return;
    }
    granting = true;
    try {
      do {
        again = false;
        for (int i = 0; i < waiting.size(); ) {
          Pending p = waiting.get(i);
          Txn t = p.txn();
          Set<Oid> need = lockSet(t);
          boolean excl = p.exclusive();
          if (!canAcquire(t, need, excl)) {
            if (excl) {
              break; // who came after a waiting undo waits behind it (no starvation)
            }
            i++;
            continue;
          }
          waiting.remove(i);
          acquire(t, need, excl);
          start(t)
              .whenComplete((r, e) -> {
                if (e != null) {
                  p.result().completeExceptionally(unwrap(e));
                } else {
                  p.result().complete(r);
                }
              });
        }
      } while (again);
    } finally {
      granting = false;
    }
  }

  /**
   * With the locks held: replays now, or first enters the server's lease of the database commit
   * lock when servers share the storage (a re-vote after conflicts is inside already).
   */
  private CompletableFuture<VoteResult> start(Txn t) {
    if (!storage.sharedByServers()) {
      try {
        return CompletableFuture.completedFuture(replay(t));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return served
        .enterDatabase(t)
        .handle((ok, failure) -> {
          synchronized (this) {
            if (failure == null && t.state == Txn.State.DONE) {
              served.releaseDatabase(t); // aborted while it entered
              failure = new StorageTransactionException("aborted");
            }
            if (failure != null) {
              if (t.state != Txn.State.DONE) {
                discard(t);
              }
              Throwable cause = unwrap(failure);
              throw cause instanceof RuntimeException r
                  ? r
                  : new CompletionException("vote: " + cause.getMessage(), cause);
            }
            return replay(t);
          }
        });
  }

  /**
   * Replays {@code t}'s operations against the committed state (its locks held): the vote result,
   * or an exception after which {@code t} holds nothing.
   */
  private synchronized VoteResult replay(Txn t) {
    try {
      // other servers sharing the storage: their commits were published when this server's lease
      // of the database lock began, and none can commit while it lasts
      Storage s = storage;
      if (t.requestedTid != null && t.requestedTid.compareTo(s.lastTransaction()) <= 0) {
        throw new StorageTransactionException(
            "requested tid "
                + t.requestedTid.toHex()
                + " is not after the last tid "
                + s.lastTransaction().toHex());
      }
      Map<Oid, Write> writes = new LinkedHashMap<>();
      Map<Oid, StoreA> stores = new LinkedHashMap<>();
      Set<Oid> undone = new LinkedHashSet<>();
      for (OneWayRequest op : t.ops) {
        switch (op) {
          case StoreA r -> {
            stores.remove(r.oid());
            stores.put(r.oid(), r);
            writes.put(r.oid(), Write.data(r.oid(), r.data()));
          }
          case CheckCurrentSerial r -> {
            Tid cur =
                s.currentSerial(r.oid()).orElseThrow(() -> new NoSuchObjectException(r.oid()));
            if (!cur.equals(r.serial())) {
              throw new ReadConflictException(
                  ReadConflictException.DEFAULT_MESSAGE, r.oid(), cur, r.serial(), null);
            }
          }
          case DeleteObject r -> {
            Tid cur =
                s.currentSerial(r.oid()).orElseThrow(() -> new NoSuchObjectException(r.oid()));
            if (!cur.equals(r.serial())) {
              throw new ConflictException(
                  ConflictException.DEFAULT_MESSAGE, r.oid(), cur, r.serial(), null);
            }
            stores.remove(r.oid());
            writes.put(r.oid(), Write.deletion(r.oid()));
          }
          case RestoreA r -> {
            stores.remove(r.oid());
            Write w;
            if (r.data() == null) {
              w = Write.deletion(r.oid());
            } else if (r.prevTxn() != null && hasRevision(s, r.oid(), r.prevTxn())) {
              w = Write.backPointer(r.oid(), r.prevTxn());
            } else {
              w = Write.data(r.oid(), r.data());
            }
            writes.put(r.oid(), w);
          }
          case StoreBlobEnd r -> {
            stores.remove(r.oid());
            stores.put(r.oid(), new StoreA(r.oid(), r.serial(), r.data(), r.txn()));
            writes.put(r.oid(), Write.blob(r.oid(), r.data(), t.blobOf.get(r.oid())));
          }
          case UndoA r -> {
            for (Write w : s.undo(undoTid(r.undoId()), writes)) {
              stores.remove(w.oid());
              writes.put(w.oid(), w);
              undone.add(w.oid());
            }
          }
          default -> throw new IllegalStateException("not a transaction operation: " + op);
        }
      }
      List<ResolvableConflict> conflicts = new ArrayList<>();
      Set<Oid> changed = new LinkedHashSet<>(undone); // what the client must not cache as sent
      Map<Oid, Optional<Tid>> serials = s.currentSerials(stores.keySet());
      for (StoreA r : stores.values()) {
        Optional<Tid> cur = serials.get(r.oid());
        if (cur.isPresent() && !cur.get().equals(r.serial())) {
          Optional<Bytes> merged =
              t.blobOf.containsKey(r.oid()) || served.clientConflictResolution
                  ? Optional.empty()
                  : resolve(s, r, cur.get());
          if (merged.isPresent()) {
            writes.put(r.oid(), Write.data(r.oid(), merged.get()));
            changed.add(r.oid());
          } else {
            conflicts.add(new ResolvableConflict(r.oid(), cur.get(), r.serial(), r.data()));
          }
        }
      }
      if (!conflicts.isEmpty()) {
        t.state = Txn.State.CONFLICTS; // keeps its locks until the re-vote
        return new VoteResult(List.copyOf(changed), conflicts);
      }
      t.writes = List.copyOf(writes.values());
      t.state = Txn.State.VOTED;
      resolved.addAndGet(changed.size() - undone.size());
      return changed.isEmpty() ? VoteResult.OK : new VoteResult(List.copyOf(changed), List.of());
    } catch (RuntimeException e) {
      discard(t);
      throw e;
    }
  }

  /**
   * The merge of a store that conflicts with the committed revision {@code committed}, for the
   * classes a server can resolve without Python ({@link KnownResolution}: B-tree buckets, sets and
   * inline trees, {@code BTrees.Length}), as Python's ZEO server does when it can import them;
   * empty for anything else (the client resolves it, or reports the conflict).
   */
  private static Optional<Bytes> resolve(Storage s, StoreA r, Tid committed) {
    if (r.serial() == null || r.serial().equals(Tid.Z64)) {
      return Optional.empty(); // a new object on both sides: nothing to merge from
    }
    try {
      return KnownResolution.resolve(
          s.loadSerial(r.oid(), r.serial()), s.loadSerial(r.oid(), committed), r.data());
    } catch (NoSuchObjectException gone) {
      return Optional.empty(); // the revision it read was packed away
    }
  }

  private static boolean hasRevision(Storage s, Oid oid, Tid tid) {
    try {
      s.loadSerial(oid, tid);
      return true;
    } catch (NoSuchObjectException e) {
      return false;
    }
  }

  /** The tid an undo id names: base64 of 8 bytes, as FileStorage's undo ids. */
  static Tid undoTid(Bytes undoId) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(undoId.toByteArray());
    } catch (IllegalArgumentException e) {
      raw = null;
    }
    if (raw == null || raw.length != 8) {
      throw new UndoException("Invalid transaction id", null);
    }
    return Tid.of(raw);
  }

  // ---- abort ----

  /**
   * Drops {@code t}: its locks, its place among the waiting votes, the database lock. A transaction
   * already finishing is not stopped (its commit goes on, as a client's {@code tpc_finish} was
   * received).
   */
  public synchronized void abort(Txn t) {
    if (t.state == Txn.State.FINISHING || t.state == Txn.State.DONE) {
      return;
    }
    waiting.removeIf(p -> {
      if (p.txn() == t) {
        p.result().completeExceptionally(new StorageTransactionException("aborted"));
        return true;
      }
      return false;
    });
    discard(t);
  }

  /** Under the monitor: {@code t} holds nothing any more; waiting votes may go. */
  private void discard(Txn t) {
    t.state = Txn.State.DONE;
    unlock(t);
    served.releaseDatabase(t);
    grant();
    served.signalQuiet();
    wakeGatherer(); // an abort: one fewer open transaction
  }

  /**
   * Makes a writer waiting in {@link #gather} look again at the open transactions: for a connection
   * that counted a transaction out after the committer had already dropped it (a vote that failed),
   * so that the write does not wait out its limit for it.
   */
  public synchronized void wake() {
    wakeGatherer();
  }

  /** Under the monitor: the writer thread waiting in {@link #gather} looks again. */
  private void wakeGatherer() {
    if (gatherer != null) {
      LockSupport.unpark(gatherer);
    }
  }

  // ---- finishes ----

  /**
   * Queues the voted {@code t} for the next group write: completes with its tid once the group is
   * durable and published, or exceptionally if the write failed (nothing of it is then visible).
   *
   * @throws StorageTransactionException if {@code t} did not vote successfully
   */
  public CompletableFuture<Tid> finish(Txn t) {
    boolean lead;
    synchronized (this) {
      if (t.state != Txn.State.VOTED) {
        throw new StorageTransactionException(
            "tpc_finish of transaction " + t.id + " before a successful vote");
      }
      t.state = Txn.State.FINISHING;
      t.finished = new CompletableFuture<>();
      queued.add(t);
      finishing++;
      lead = !writing;
      writing = true;
      wakeGatherer(); // a writer waiting for the open transactions to queue
    }
    if (lead) {
      // no write in progress. A lone transaction (no other open on the storage: tpc_begin to
      // tpc_finish) is written on the caller's thread, without a thread hop. With others open,
      // the caller is an event loop whose other connections will vote meanwhile: the writer thread
      // writes (measured, ServerBenchmark: 1 committer 15% faster inline, 4 committers 5-10%
      // faster handed off). What queues up during a write goes to the writer.
      writeGroups(served.activeTxns.get() == 0 ? 1 : 0);
    }
    return t.finished;
  }

  /** The mean time of a group's write ({@link Storage#commitAll}), in nanoseconds. */
  private volatile long writeNanos;

  /** The writer thread while it waits in {@link #gather}, else null; guarded by this. */
  private Thread gatherer;

  /** Groups left to write without waiting, after a wait that gathered nothing; guarded by this. */
  private int gatherSkips;

  /**
   * On the writer thread, before it takes a group: waits while other transactions are open but not
   * yet queued (a transaction stops being open once its finish queued) and not waiting for a lock
   * (which only a write can release), so that they share this group's synced write instead of each
   * waiting for the next one. Without it, groups alternate between a transaction that queued during
   * the last write and the ones that write released, which come back one after the other, just too
   * late. The wait ends when none is open any more, after the mean time of a write (waiting longer
   * costs more than the next write would), or after {@link ServedStorage#commitGather}, whichever
   * comes first. A wait that gathered nothing turns the waits off for the next 16 groups: a long
   * open transaction, say a big upload, must not delay every commit of the others.
   */
  private void gather() {
    long limit = Math.min(served.commitGather.toNanos(), writeNanos);
    if (limit <= 0) {
      return;
    }
    long deadline = System.nanoTime() + limit;
    int before;
    synchronized (this) {
      if (gatherSkips > 0) {
        gatherSkips--;
        return;
      }
      before = queued.size();
    }
    for (; ; ) {
      long left = deadline - System.nanoTime();
      synchronized (this) {
        // a vote waiting for a lock cannot finish before this group does: not waited for
        if (served.activeTxns.get() - waiting.size() <= 0 || left <= 0) {
          gatherer = null;
          if (left <= 0 && queued.size() == before) {
            gatherSkips = 16;
          }
          return;
        }
        gatherer = Thread.currentThread();
      }
      LockSupport.parkNanos(this, left);
    }
  }

  /**
   * Writes queued groups until the queue is empty, or hands the rest to the writer thread after
   * {@code rounds} groups.
   */
  private void writeGroups(int rounds) {
    for (int round = 0; ; round++) {
      List<Txn> group;
      synchronized (this) {
        if (queued.isEmpty()) {
          writing = false;
          return;
        }
        if (round == rounds) {
          writer.execute(() -> writeGroups(Integer.MAX_VALUE));
          return;
        }
      }
      if (rounds == Integer.MAX_VALUE) {
        gather(); // the writer thread
      }
      synchronized (this) {
        group = List.copyOf(queued);
        queued.clear();
      }
      write(group);
    }
  }

  /** Writes one group: tids, one durable write, publication, then the futures. */
  private void write(List<Txn> group) {
    List<Txn> written = new ArrayList<>();
    List<Txn> refused = new ArrayList<>();
    Tid prev = storage.lastTransaction();
    for (Txn t : group) {
      if (t.requestedTid != null && t.requestedTid.compareTo(prev) <= 0) {
        refused.add(t);
        continue;
      }
      t.tid = t.requestedTid != null ? t.requestedTid : Tid.now().laterThan(prev);
      prev = t.tid;
      written.add(t);
    }
    RuntimeException failure = null;
    if (!written.isEmpty()) {
      try {
        long start = System.nanoTime();
        served.commitAll(written);
        long took = System.nanoTime() - start;
        long mean = writeNanos; // one writer at a time: see writing
        writeNanos = mean + (took - mean) / 8;
        groups.incrementAndGet();
        grouped.addAndGet(written.size());
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    synchronized (this) {
      for (Txn t : group) {
        finishing--;
        discard(t);
      }
    }
    for (Txn t : written) {
      if (failure == null) {
        t.finished.complete(t.tid);
      } else {
        t.finished.completeExceptionally(failure);
      }
    }
    for (Txn t : refused) {
      t.finished.completeExceptionally(
          new StorageTransactionException(
              "requested tid " + t.requestedTid.toHex() + " is not after the last tid"));
    }
  }

  // ---- state ----

  /** Whether a transaction holds locks, waits for them or is being written. */
  public synchronized boolean busy() {
    return !locks.isEmpty() || exclusive != null || !waiting.isEmpty() || finishing > 0;
  }

  /** The number of votes waiting for locks. */
  synchronized int waitingCount() {
    return waiting.size();
  }

  /** The number of finishes queued behind the write in progress. */
  public synchronized int queuedCount() {
    return queued.size();
  }

  /** Whether the writer thread waits for open transactions to queue (see {@link #gather}). */
  synchronized boolean gathering() {
    return gatherer != null;
  }

  /** The groups the writer will still write without waiting (see {@link #gather}). */
  synchronized int gatherSkips() {
    return gatherSkips;
  }

  /** The number of objects locked by voted transactions. */
  synchronized int lockedCount() {
    return locks.size();
  }

  public static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
  }

  /** Stops the writer once what is queued is written (a few seconds at most). */
  @Override
  public void close() {
    writer.shutdown();
    try {
      if (!writer.awaitTermination(5, TimeUnit.SECONDS)) {
        writer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
