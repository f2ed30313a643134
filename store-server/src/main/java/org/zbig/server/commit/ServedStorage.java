package org.zbig.server.commit;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.zbig.server.ServerConfig;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.PackResult;
import org.zbig.server.storage.Storage;
import org.zbig.server.storage.Write;
import org.zbig.wire.GetInfo;
import org.zbig.wire.Invalidations;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.wire.WireValues;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * One storage as the server serves it: the {@link Storage}, its {@link Committer}, the connections
 * registered on it and the queue of recent transactions for {@code getInvalidations}
 * (docs/protocol.md §3.1, 5.6).
 *
 * <p>Registration and publishing a commit happen under this object's monitor, so a connection
 * either sees a commit in the tid {@code register} returns or receives its invalidation, never both
 * and never neither.
 */
public final class ServedStorage {
  /** What a registered connection receives. */
  public interface Subscriber {
    /** Called under the monitor, in tid order; must only enqueue. */
    void invalidate(Tid tid, List<Oid> oids);

    /** Tells the client new {@code length} and {@code size} values; must only enqueue. */
    void info(Map<String, Object> info);

    /** Address, label and requests in flight, for the status page. */
    default Map<String, Object> describe() {
      return Map.of();
    }
  }

  /** The registered connections, described. */
  public List<Map<String, Object>> describeConnections() {
    return subscribers.stream().map(Subscriber::describe).toList();
  }

  private record Committed(Tid tid, List<Oid> oids) {}

  public final String name;
  public final Storage storage;
  public final boolean readOnly;
  public final Committer committer;
  private final Object databaseLock = new Object(); // guards the lease below
  private final ScheduledExecutorService databaseLocker =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("zbig-db-lock").daemon().factory());
  private final int queueSize;
  private final Deque<Committed> recent = new ArrayDeque<>();
  private final AtomicLong packing = new AtomicLong(); // packs running

  /**
   * ZEO's {@code client-conflict-resolution}: every conflict goes back to the client, none is
   * merged on the server.
   */
  public volatile boolean clientConflictResolution;

  private Tid coveredAfter; // the queue lists every transaction after this tid
  private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
  public final AtomicLong loads = new AtomicLong();
  public final AtomicLong commits = new AtomicLong();
  final AtomicLong foreignCommits = new AtomicLong(); // published for other servers
  public final AtomicLong aborts = new AtomicLong();
  public final AtomicLong conflicts = new AtomicLong();
  public final AtomicLong paused =
      new AtomicLong(); // connections not read from: replies not drained
  public final AtomicLong lockWaits =
      new AtomicLong(); // votes that had to wait for the commit lock
  public final AtomicLong lockWaitNanos = new AtomicLong();
  public final AtomicLong finishReplies = new AtomicLong(); // tpc_finish replies not yet written
  private final Object quiet = new Object(); // notified when a commit or a finish reply ends
  private long quietSignals; // guarded by quiet

  /** A {@code tpc_finish} reply is owed: a graceful stop waits for it ({@link #awaitQuiet}). */
  public void finishReplyOwed() {
    finishReplies.incrementAndGet();
  }

  /** The reply {@link #finishReplyOwed()} announced is written (or its connection is gone). */
  public void finishReplyDone() {
    finishReplies.decrementAndGet();
    signalQuiet();
  }

  /** Wakes {@link #awaitQuiet}: a transaction or a reply ended. Never takes another lock. */
  void signalQuiet() {
    synchronized (quiet) {
      quietSignals++;
      quiet.notifyAll();
    }
  }

  /**
   * Waits until no transaction holds or waits for locks or is being written and every finish reply
   * is written, or until {@code deadline} ({@link System#nanoTime()}); whether that happened.
   */
  public boolean awaitQuiet(long deadline) throws InterruptedException {
    for (; ; ) {
      long seen;
      synchronized (quiet) {
        seen = quietSignals;
      }
      if (!committer.busy() && finishReplies.get() == 0) {
        return true; // checked outside the monitor: the committer's own lock is never nested in it
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      synchronized (quiet) {
        if (quietSignals == seen) {
          TimeUnit.NANOSECONDS.timedWait(quiet, left);
        }
      }
    }
  }

  public final AtomicLong stores = new AtomicLong(); // storea calls
  public final AtomicLong activeTxns = new AtomicLong(); // from tpc_begin to tpc_finish or abort
  private final String started = ctime(System.currentTimeMillis());
  private final ExecutorService packer =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().name("zbig-pack").daemon().factory());

  /**
   * See {@link ServerConfig#commitGather()}: the longest a group write waits for the open
   * transactions to finish and join it; zero for never.
   */
  public volatile Duration commitGather = ServerConfig.COMMIT_GATHER;

  /** See {@link org.zbig.server.ServerConfig#invalidationAge()}; null for never. */
  public volatile Duration invalidationAge;

  public ServedStorage(String name, Storage storage, boolean readOnly, int queueSize) {
    this.name = name;
    this.storage = storage;
    this.readOnly = readOnly;
    this.queueSize = queueSize;
    // after a restart, clients verify their caches against the last transactions (docs/protocol.md
    // §5.13)
    this.coveredAfter = Tid.Z64;
    for (var t : storage.transactionsNewestFirst()) {
      if (recent.size() == queueSize) {
        coveredAfter = t.tid(); // the newest transaction the queue does not list
        break;
      }
      recent.addFirst(new Committed(t.tid(), storage.transactionOids(t.tid())));
    }
    this.published = storage.lastTransaction();
    storage.onCommitLockWanted(this::leaseWanted);
    storage.onForeignCommits(this::catchUp);
    this.committer = new Committer(this);
  }

  /**
   * The newest transaction whose invalidations went out: what {@code register} and {@code
   * lastTransaction} tell clients. The storage's own last tid runs ahead of it while a group is
   * being published; a client told that one could then receive the invalidation of an older
   * transaction of the group, which ZEO's client refuses ("new last tid must be greater").
   */
  private volatile Tid published;

  /** The newest transaction every subscriber has been told of (see {@link #published}). */
  public Tid lastPublished() {
    return published;
  }

  /** Subscribes {@code s} and returns the last tid, atomically with respect to commits. */
  public synchronized Tid register(Subscriber s) {
    catchUp(); // a client coming from another server may know newer transactions than we do
    subscribers.add(s);
    return published;
  }

  public void unregister(Subscriber s) {
    subscribers.remove(s);
  }

  public int connections() {
    return subscribers.size();
  }

  /**
   * Commits a group of voted transactions (their tids assigned, increasing) with one durable write,
   * then publishes each in tid order: every subscriber but its committer is told.
   */
  synchronized void commitAll(List<Txn> group) {
    List<Storage.Commit> commits = new ArrayList<>(group.size());
    for (Txn t : group) {
      commits.add(new Storage.Commit(t.tid, t.meta, t.writes));
    }
    storage.commitAll(commits);
    this.commits.addAndGet(group.size());
    for (Txn t : group) {
      publish(t.tid, t.writes.stream().map(Write::oid).distinct().toList(), t.owner);
      if (t.published != null) {
        t.published.run(); // the committer's reply, between earlier and later invalidations
      }
    }
  }

  /**
   * Publishes the transactions other servers sharing the storage committed since the last call:
   * each becomes visible and every subscriber is told, in tid order, before any later commit of
   * this server (docs/protocol.md §5.6). Called by the storage's listener, when this server's lease
   * of the database lock begins, and at register.
   */
  public void catchUp() {
    if (!storage.sharedByServers()) {
      return; // this server's storage alone: nothing to catch up with, no monitor to take
    }
    synchronized (this) {
      for (var txn : storage.catchUp().entrySet()) {
        foreignCommits.incrementAndGet();
        publish(txn.getKey(), txn.getValue(), null);
      }
    }
  }

  /** Whether other servers commit to the storage too (then votes call {@link #enterDatabase}). */
  public boolean sharedByServers() {
    return storage.sharedByServers();
  }

  // ---- the database lease: storages shared by servers ----

  /**
   * Enters {@code owner} into this server's lease of the database commit lock ({@link
   * Storage#lockCommits}). While the server holds the lock no other server commits, so votes check
   * conflicts against a committed state that only this server changes, and its finishes are written
   * in groups as on a storage of its own. The lock is taken on a thread of its own, and what other
   * servers committed before it is published ({@link #catchUp()}) before the first owner enters. It
   * is given back when the last owner has left and no other enters within {@link
   * #LEASE_LINGER_NANOS}, and, so that other servers get their turn, once another server is seen
   * waiting for it ({@link Storage#othersWaitForCommits}, asked every {@link #LEASE_CHECK_NANOS})
   * and the lease has been held {@link #LEASE_MIN_HOLD_NANOS}: from then on, owners that come wait
   * until those inside have left, the lock is given back and taken again (behind the other servers
   * waiting for it).
   *
   * <p>Completes once {@code owner} is inside, or exceptionally if the database fails or the owner
   * {@linkplain #releaseDatabase leaves} before it got in. An owner inside never waits for one
   * outside: the committer makes a vote that waits for object locks leave first.
   */
  CompletableFuture<Void> enterDatabase(Object owner) {
    synchronized (databaseLock) {
      if (leaseHolders.contains(owner)) {
        return CompletableFuture.completedFuture(null);
      }
      if (lease == Lease.HELD && !leaseYielding) {
        leaseHolders.add(owner);
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> entered = new CompletableFuture<>();
      leaseEntrants.put(owner, entered);
      if (lease == Lease.NONE) {
        lease = Lease.ACQUIRING;
        databaseLocker.execute(this::acquireLease);
      } else if (lease == Lease.HELD && leaseHolders.isEmpty()) {
        giveBack(); // yielding while lingering: give it back now, then take it again
      }
      // ACQUIRING: joins it; RELEASING, or HELD and yielding: taken again once given back
      return entered;
    }
  }

  /**
   * Takes {@code owner} out of the lease, or out of the owners waiting to enter; the last owner out
   * gives the lock back (at once when the lease yields or others wait, else after a linger).
   */
  void releaseDatabase(Object owner) {
    CompletableFuture<Void> abandoned;
    synchronized (databaseLock) {
      abandoned = leaseEntrants.remove(owner);
      if (leaseHolders.remove(owner) && leaseHolders.isEmpty() && lease == Lease.HELD) {
        if (leaseYielding || !leaseEntrants.isEmpty()) {
          giveBack();
        } else {
          long idleSince = ++leaseIdle;
          databaseLocker.schedule(
              () -> releaseIfIdle(idleSince), LEASE_LINGER_NANOS, TimeUnit.NANOSECONDS);
        }
      }
    }
    if (abandoned != null) {
      abandoned.completeExceptionally(new CancellationException("left before entering"));
    }
  }

  /** How long the lease is kept when no owner is inside, in case one comes. */
  static final long LEASE_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /**
   * How long a lease is held at least before it yields to another server that waits: each turn
   * costs a hand-over of the lock and a catch-up (several database round trips), which the commits
   * of this time share instead of one or two. A commit through the waiting server waits this much
   * longer at most. Measured with two servers on one database, 2 committers each
   * (docs/postgres.md): 0 ms 308 commits/s in all, 10 ms 335-353, 20 ms 384-385.
   */
  static final long LEASE_MIN_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  /**
   * How often a server holding the lease asks whether other servers wait for it, in case their word
   * ({@link Storage#onCommitLockWanted}) was lost.
   */
  static final long LEASE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private enum Lease {
    NONE,
    ACQUIRING,
    HELD,
    RELEASING
  }

  // guarded by databaseLock
  private Lease lease = Lease.NONE;
  private boolean leaseYielding; // another server waits: newcomers wait for the lease to turn
  private boolean leaseWantedEarly; // another server said it waits before the lock was ours
  private long leaseTakenAt; // System.nanoTime() when the lease was taken
  private boolean leaseYieldDue; // the lease yields once it has been held its minimum time
  private ScheduledFuture<?> leaseCheck; // asks whether others wait, while the lease is held
  private long leaseIdle; // counts the times the lease became empty: a linger releases only its own
  private final Set<Object> leaseHolders = new HashSet<>();
  private final Map<Object, CompletableFuture<Void>> leaseEntrants = new LinkedHashMap<>();

  /** Counts the times the database lock was taken, for tests and the status page. */
  final AtomicLong leases = new AtomicLong();

  /** The lease as the status page shows it: none, taking, held, yielding or giving back. */
  String leaseState() {
    synchronized (databaseLock) {
      return switch (lease) {
        case NONE -> "none";
        case ACQUIRING -> "taking";
        case HELD -> leaseYielding ? "yielding" : "held";
        case RELEASING -> "giving back";
      };
    }
  }

  /** Another server said it waits for the lock: the lease yields (or will, once it is taken). */
  private void leaseWanted() {
    synchronized (databaseLock) {
      switch (lease) {
        case NONE, RELEASING -> {}
        case ACQUIRING -> leaseWantedEarly = true;
        case HELD -> yieldLeaseWhenDue();
      }
    }
  }

  /**
   * Under {@link #databaseLock}, the lease held: yields it now if it was taken at least {@link
   * #LEASE_MIN_HOLD_NANOS} ago, else once it has been held that long (if still held then).
   */
  private void yieldLeaseWhenDue() {
    long held = System.nanoTime() - leaseTakenAt;
    if (held >= LEASE_MIN_HOLD_NANOS) {
      yieldLease();
    } else if (!leaseYieldDue) {
      leaseYieldDue = true;
      long taken = leases.get();
      databaseLocker.schedule(
          () -> {
            synchronized (databaseLock) {
              if (lease == Lease.HELD && leases.get() == taken && !leaseYielding) {
                yieldLease();
              }
            }
          },
          LEASE_MIN_HOLD_NANOS - held,
          TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Under {@link #databaseLock}, the lease held: newcomers wait from now on, and the lock is given
   * back as soon as no owner is inside (at once if none is).
   */
  private void yieldLease() {
    leaseYielding = true;
    if (leaseHolders.isEmpty()) {
      giveBack();
    }
  }

  /** Under {@link #databaseLock}: the locker thread gives the lock back next. */
  private void giveBack() {
    lease = Lease.RELEASING;
    databaseLocker.execute(this::releaseLease);
  }

  /** On the locker thread, while the lease is held: yields it when another server waits. */
  private void checkLeaseWaiters() {
    synchronized (databaseLock) {
      if (lease != Lease.HELD || leaseYielding) {
        return;
      }
    }
    boolean wanted;
    try {
      wanted = storage.othersWaitForCommits();
    } catch (RuntimeException e) {
      wanted = true; // cannot tell: give others their turn
    }
    if (!wanted) {
      return;
    }
    synchronized (databaseLock) {
      if (lease == Lease.HELD && !leaseYielding) {
        yieldLeaseWhenDue(); // with owners inside, the last to leave gives it back
      }
    }
  }

  /** On the locker thread: takes the lock, catches up, lets the waiting owners in. */
  private void acquireLease() {
    RuntimeException failure = null;
    try {
      storage.lockCommits();
      try {
        catchUp();
      } catch (RuntimeException e) {
        storage.unlockCommits();
        throw e;
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    List<CompletableFuture<Void>> entered;
    synchronized (databaseLock) {
      entered = new ArrayList<>(leaseEntrants.values());
      if (failure != null) {
        lease = Lease.NONE;
      } else {
        leases.incrementAndGet();
        lease = Lease.HELD;
        leaseTakenAt = System.nanoTime();
        leaseYielding = false;
        leaseYieldDue = false;
        leaseCheck =
            databaseLocker.scheduleWithFixedDelay(
                this::checkLeaseWaiters,
                LEASE_CHECK_NANOS,
                LEASE_CHECK_NANOS,
                TimeUnit.NANOSECONDS);
        leaseHolders.addAll(leaseEntrants.keySet());
        if (leaseHolders.isEmpty()) { // every owner left while the lock was being taken
          giveBack();
        } else if (leaseWantedEarly) {
          yieldLeaseWhenDue(); // after the owners are in: a yield now lets them finish first
        }
        leaseWantedEarly = false;
      }
      leaseEntrants.clear();
    }
    for (CompletableFuture<Void> f : entered) {
      if (failure == null) {
        f.complete(null);
      } else {
        f.completeExceptionally(failure);
      }
    }
  }

  /** On the locker thread: gives the lock back; takes it again if owners wait to enter. */
  private void releaseLease() {
    synchronized (databaseLock) {
      if (leaseCheck != null) {
        leaseCheck.cancel(false);
        leaseCheck = null;
      }
    }
    storage.unlockCommits();
    synchronized (databaseLock) {
      if (leaseEntrants.isEmpty()) {
        lease = Lease.NONE;
      } else {
        lease = Lease.ACQUIRING;
        databaseLocker.execute(this::acquireLease);
      }
    }
  }

  private void releaseIfIdle(long idleSince) {
    synchronized (databaseLock) {
      if (lease == Lease.HELD && leaseHolders.isEmpty() && leaseIdle == idleSince) {
        giveBack(); // else an owner came meanwhile (and its leaving scheduled a linger of its own)
      }
    }
  }

  private void publish(Tid tid, List<Oid> oids, Subscriber committer) {
    recent.addLast(new Committed(tid, oids));
    while (recent.size() > queueSize) {
      coveredAfter = recent.removeFirst().tid();
    }
    for (Subscriber s : subscribers) {
      if (s != committer) {
        s.invalidate(tid, oids);
      }
    }
    published = tid;
  }

  /**
   * The oids changed after {@code tid} and the newest tid, or empty when the queue does not reach
   * back that far (the client then drops its cache).
   */
  public synchronized Optional<Invalidations> invalidationsSince(Tid tid) {
    catchUp();
    Tid lastTid = published;
    if (tid.compareTo(lastTid) >= 0) {
      return tid.equals(lastTid)
          ? Optional.of(new Invalidations(lastTid, List.of()))
          : Optional.empty();
    }
    if (tid.compareTo(coveredAfter) < 0) {
      Duration age = invalidationAge;
      if (age == null || Duration.between(tid.toInstant(), Instant.now()).compareTo(age) > 0) {
        return Optional.empty();
      }
      // young enough: the changes since, read from the storage's transactions (ZEO does so)
      Set<Oid> oids = new LinkedHashSet<>();
      for (var t : storage.transactions(new Tid(tid.value() + 1), null)) {
        oids.addAll(storage.transactionOids(t.tid()));
      }
      return Optional.of(new Invalidations(lastTid, List.copyOf(oids)));
    }
    Set<Oid> oids = new LinkedHashSet<>();
    for (Committed c : recent) {
      if (c.tid().compareTo(tid) > 0) {
        oids.addAll(c.oids());
      }
    }
    return Optional.of(new Invalidations(lastTid, List.copyOf(oids)));
  }

  /**
   * Packs in the background, one pack at a time; when done, every connection gets the new sizes
   * (docs/protocol.md §3.5).
   */
  public CompletableFuture<PackResult> pack(Tid packTid, boolean gc) {
    return CompletableFuture.supplyAsync(
        () -> {
          packing.incrementAndGet();
          PackResult r;
          try {
            r = storage.pack(packTid, gc);
          } finally {
            packing.decrementAndGet();
          }
          Map<String, Object> info = sizeInfo();
          for (Subscriber s : subscribers) {
            s.info(info);
          }
          return r;
        },
        packer);
  }

  /** Stops a running pack, waiting a little for it to finish. */
  public void close() {
    committer.close();
    databaseLocker.shutdownNow();
    packer.shutdown();
    try {
      if (!packer.awaitTermination(10, TimeUnit.SECONDS)) {
        packer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The {@code get_info} dict (docs/protocol.md §4.3): only interfaces this server implements. */
  public Map<String, Object> info() {
    Map<String, Object> d = sizeInfo();
    d.put("name", storage.name());
    d.put("supportsUndo", true);
    d.put("supports_record_iternext", true);
    d.put(LoadBeforeMany.INFO_KEY, true); // ours: loads of many objects in one call
    d.put(LoadBeforeTree.INFO_KEY, true); // ours: an object and what it refers to in one call
    // ours: history before this tid was removed by a pack (historical connections check it)
    d.put(GetInfo.PACKED_TID, WireValues.bytes(storage.packedUpTo()));
    d.put(
        "interfaces",
        Tuple.of(
            Tuple.of("ZODB.interfaces", "IStorage"),
            Tuple.of("ZODB.interfaces", "IStorageIteration"),
            Tuple.of("ZODB.interfaces", "IStorageUndoable"),
            Tuple.of("ZODB.interfaces", "IBlobStorage"),
            Tuple.of("ZODB.interfaces", "IStorageCurrentRecordIteration"),
            Tuple.of("ZODB.interfaces", "IStorageRestoreable"),
            Tuple.of("ZODB.interfaces", "IExternalGC"),
            Tuple.of("zope.interface", "Interface")));
    return d;
  }

  /** The {@code info} dict sent to a committer after its commit. */
  public Map<String, Object> sizeInfo() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("length", storage.objectCount());
    d.put("size", storage.size());
    return d;
  }

  /**
   * This server's own counters, for the status page and metrics: ZEO's (see {@link #zeoStatus}) and
   * more.
   */
  public Map<String, Object> status() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("connections", (long) subscribers.size());
    d.put("loads", loads.get());
    d.put("stores", stores.get());
    d.put("commits", commits.get());
    d.put("foreign-commits", foreignCommits.get());
    d.put("aborts", aborts.get());
    d.put("conflicts", conflicts.get());
    d.put("conflicts-resolved", committer.resolved.get());
    d.put("active-transactions", activeTxns.get());
    d.put("waiting", (long) committer.waitingCount());
    if (storage instanceof KvStorage kv) {
      KvStorage.DedupStats dedup = kv.dedupStats();
      d.put("logical-bytes", dedup.logical());
      d.put("stored-bytes", dedup.stored());
      d.put("dedup-ratio", Math.round(dedup.ratio() * 1000) / 1000.0);
      long disk = kv.diskBytes();
      if (disk >= 0) {
        d.put("disk-bytes", disk);
      }
      d.putAll(kv.memory());
      d.put("space-reclaim", kv.reclaimPending() ? "pending" : "done");
    }
    d.put("locked-objects", (long) committer.lockedCount());
    d.put("commit-groups", committer.groups.get());
    if (storage.sharedByServers()) {
      d.put("database-lease", leaseState());
      d.put("database-leases", leases.get());
    }
    d.put("paused", paused.get());
    d.put("last-transaction", storage.lastTransaction().toHex());
    synchronized (this) {
      d.put("invalidation-queue", (long) recent.size());
    }
    d.put("packed-up-to", storage.packedUpTo().toHex());
    d.put("pack", packing.get() > 0 ? "running" : "idle");
    return d;
  }

  /**
   * The {@code server_status} dict and each storage's part of {@code ruok}, with exactly the keys
   * and meanings of ZEO's (its {@code StorageStats} plus {@code waiting}, {@code
   * timeout-thread-is-alive} and {@code last-transaction}), so that tools and tests written for ZEO
   * read it unchanged: {@code active_txns} counts transactions between {@code tpc_begin} and their
   * end, {@code lock_time} is since when (epoch seconds) some transaction has held locks, {@code
   * start} is when the server started ({@code time.ctime} format), {@code conflicts_resolved}
   * counts the conflicts the server merged itself.
   *
   * @param timeout whether a transaction timeout is set (ZEO then runs a timeout thread)
   */
  public Map<String, Object> zeoStatus(boolean timeout) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("aborts", aborts.get());
    d.put("active_txns", activeTxns.get());
    d.put("commits", commits.get());
    d.put("conflicts", conflicts.get());
    d.put("conflicts_resolved", committer.resolved.get());
    d.put("connections", (long) subscribers.size());
    d.put("last-transaction", storage.lastTransaction().toHex());
    d.put("loads", loads.get());
    d.put("lock_time", committer.lockTime());
    d.put("start", started);
    d.put("stores", stores.get());
    d.put("timeout-thread-is-alive", timeout ? (Object) Boolean.TRUE : "stub");
    d.put("waiting", (long) committer.waitingCount());
    return d;
  }

  /** Python's {@code time.ctime}: {@code Tue May 4 10:55:20 2010}, in local time. */
  static String ctime(long millis) {
    return DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT)
        .format(Instant.ofEpochMilli(millis).atZone(ZoneId.systemDefault()));
  }
}
