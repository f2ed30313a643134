package org.zbig.client;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.wire.GetInfo;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.wire.NewOids;
import org.zbig.zodb.Oid;
import org.zbig.zodb.SuppressForbidden;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * A database served by a ZEO server: one ZEO connection, a record cache shared by all its {@link
 * Connection}s, and the registry of persistent classes. Thread-safe; open one {@link Connection}
 * per thread of work.
 *
 * <pre>{@code
 * try (Database db = Database.open(new InetSocketAddress("127.0.0.1", 8100))) {
 *   db.run(conn -> {
 *     Length counter = (Length) conn.root().get("counter");
 *     counter.change(1);
 *     return null;
 *   });
 * }
 * }</pre>
 */
public final class Database implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  /** How many times {@link #run} tries a unit of work that conflicts. */
  public static final int DEFAULT_ATTEMPTS = 10;

  private final ZeoClient zeo;
  private final ClassRegistry registry = new ClassRegistry();
  private final RecordCache records;
  private final ConcurrentHashMap<Asked, CompletableFuture<Optional<LoadResult>>> asked =
      new ConcurrentHashMap<>(); // loadShared's requests in flight
  private final Set<Connection> connections = new CopyOnWriteArraySet<>();
  private final Deque<Oid> freeOids = new ArrayDeque<>();
  private final AtomicLong nextTxnId = new AtomicLong(System.nanoTime() & 0x7fff_ffff_ffffL);
  private final Object invalidationLock = new Object();
  final ReentrantLock commitLock = new ReentrantLock(true);
  private volatile Tid lastTid = Tid.Z64; // the newest tid whose invalidations were delivered

  private Database(List<InetSocketAddress> addresses, ClientOptions options, long cacheBytes) {
    this.records = new RecordCache(cacheBytes);
    this.zeo = ZeoClient.open(addresses, options, new Listener());
    synchronized (invalidationLock) {
      if (zeo.lastTransaction().compareTo(lastTid) > 0) {
        lastTid = zeo.lastTransaction();
      }
    }
  }

  /** Opens the database served at {@code address} with the default options. */
  public static Database open(InetSocketAddress address) {
    return open(address, ClientOptions.defaults(), 64L << 20);
  }

  /**
   * Opens the database served at {@code address}, creating the root object if the storage is empty
   * (as ZODB does, in a transaction described {@code initial database creation}).
   *
   * @param cacheBytes the size of the shared record cache
   */
  public static Database open(InetSocketAddress address, ClientOptions options, long cacheBytes) {
    return open(List.of(address), options, cacheBytes);
  }

  /**
   * Opens the database served by any of {@code addresses}, servers of one database (several servers
   * on one PostgreSQL database, say). The client is connected to one at a time and fails over to
   * the next when its server goes away, verifying its cache as after any reconnection.
   *
   * @param cacheBytes the size of the shared record cache
   */
  public static Database open(
      List<InetSocketAddress> addresses, ClientOptions options, long cacheBytes) {
    Database db = new Database(addresses, options, cacheBytes);
    try {
      if (!db.zeo.isReadOnly()) {
        db.ensureRoot();
      }
      return db;
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  private void ensureRoot() {
    for (int attempt = 0; ; attempt++) {
      try {
        if (zeo.loadCurrent(Oid.ROOT).isPresent()) {
          return;
        }
        throw new NoSuchObjectException(Oid.ROOT); // as a load of a missing object does
      } catch (NoSuchObjectException missing) {
        try (Connection c = open()) {
          c.createRoot();
          c.commit("initial database creation");
          return;
        } catch (ConflictException another) {
          if (attempt > 3) {
            throw another; // someone else created it meanwhile: load it
          }
        }
      }
    }
  }

  /** The ZEO connection. */
  public ZeoClient zeo() {
    return zeo;
  }

  /** The registry of persistent classes. */
  public ClassRegistry registry() {
    return registry;
  }

  /**
   * Empties the shared record cache: the next loads go to the server (to measure cold reads, or to
   * give the cache's memory back).
   */
  public void clearCache() {
    records.clear();
  }

  /** A new connection: an isolated view of the database as of now. */
  public Connection open() {
    Connection c = new Connection(this, null);
    connections.add(c);
    return c;
  }

  /**
   * A read-only connection to the database as it was right after transaction {@code at} (ZODB's
   * {@code DB.open(at=...)}): its objects, and the arrays and files reached through it, read as of
   * then, and stay so (invalidations do not move it). Changing an object in it, or adding one,
   * throws {@link ReadOnlyException}.
   *
   * @throws IllegalArgumentException if {@code at} is after the newest transaction, or before the
   *     tid up to which the storage was packed (the history before it was removed)
   */
  public Connection open(Tid at) {
    Tid newest = lastTid;
    if (at.compareTo(newest) > 0) {
      throw new IllegalArgumentException(
          "tid " + at + " is after the newest transaction " + newest);
    }
    Tid packed = packedUpTo();
    if (at.compareTo(packed) < 0) {
      throw new IllegalArgumentException(
          "tid "
              + at
              + " is before the last pack, up to "
              + packed
              + ": the history before it was removed");
    }
    Connection c = new Connection(this, at);
    connections.add(c);
    return c;
  }

  /**
   * A read-only connection to the database as it was at {@code time}: as {@link #open(Tid)} with
   * the newest transaction committed at or before it.
   *
   * @throws IllegalArgumentException if {@code time} is before the first transaction kept or after
   *     the newest one
   */
  public Connection open(Instant time) {
    Tid at = Tid.of(time);
    Tid newest = lastTid;
    if (at.compareTo(newest) > 0 && time.isBefore(Instant.now().plusSeconds(1))) {
      at = newest; // a time since the newest transaction: the database as it is now
    }
    return open(at);
  }

  /**
   * The tid up to which the storage was packed, asked from the server now ({@link Tid#Z64} when the
   * server does not say: it keeps every revision then, or it is not one of ours).
   */
  public Tid packedUpTo() {
    Map<String, Object> info = zeo.invoke(GetInfo::new);
    return info.get(GetInfo.PACKED_TID) instanceof Bytes b && b.length() == 8
        ? Tid.of(b.toByteArray())
        : Tid.Z64;
  }

  /**
   * Runs {@code work} in a transaction of a fresh connection and commits, trying again up to {@link
   * #DEFAULT_ATTEMPTS} times when the commit conflicts, after a short random pause that grows with
   * the attempts (up to 50 ms).
   *
   * @return what {@code work} returned
   * @throws ConflictException if every attempt conflicted
   */
  public <T> T run(Function<Connection, T> work) {
    return run(DEFAULT_ATTEMPTS, work);
  }

  /** As {@link #run(Function)}, with at most {@code attempts} attempts. */
  public <T> T run(int attempts, Function<Connection, T> work) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 1)");
    }
    try (Connection c = open()) {
      for (int i = 1; ; i++) {
        try {
          T result = work.apply(c);
          c.commit();
          return result;
        } catch (ConflictException e) {
          c.abort();
          if (i >= attempts) {
            throw e;
          }
          LOG.debug("attempt {} conflicted, retrying: {}", i, e.getMessage());
          backOff(i);
        } catch (RuntimeException | Error e) {
          c.abort();
          throw e;
        }
      }
    }
  }

  /** A random pause growing with the attempt, so that hot-spot committers do not keep colliding. */
  @SuppressForbidden("a back-off between attempts, not polling")
  private static void backOff(int attempt) {
    long maxMillis = Math.min(50, 1L << Math.min(attempt, 6));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(maxMillis + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientDisconnectedException("interrupted while retrying", e);
    }
  }

  /** As {@link #run(Function)} for work without a result. */
  public void runVoid(Consumer<Connection> work) {
    run(c -> {
      work.accept(c);
      return null;
    });
  }

  void closed(Connection c) {
    connections.remove(c);
  }

  /** The snapshot a new transaction starts from, with the invalidations it must apply. */
  Tid snapshot(Connection c) {
    synchronized (invalidationLock) {
      return lastTid;
    }
  }

  /** Loads the revision of {@code oid} visible at snapshot {@code at}, through the cache. */
  LoadResult load(Oid oid, Tid at) {
    LoadResult r = records.lookup(oid, at);
    if (r != null) {
      return r;
    }
    return ZeoClient.join(loadShared(oid, at)).orElseThrow(() -> new NoSuchObjectException(oid));
  }

  /** A {@code loadBefore} asked for and not answered yet: its oid and snapshot. */
  private record Asked(Oid oid, Tid before) {}

  /**
   * The server's answer for {@code oid} as of {@code at}, cached when it comes: one request for
   * every caller that asks for the same revision while it is in flight. The answer for a snapshot
   * never changes, so they share it; without this, the loaders of a scan that reach a block table
   * bucket not cached yet each asked for it (a third of a scan's loads).
   */
  private CompletableFuture<Optional<LoadResult>> loadShared(Oid oid, Tid at) {
    Asked key = new Asked(oid, new Tid(at.value() + 1));
    CompletableFuture<Optional<LoadResult>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<LoadResult>> theirs = asked.putIfAbsent(key, mine);
    if (theirs != null) {
      return theirs;
    }
    CompletableFuture<Optional<LoadResult>> call;
    try {
      call =
          zeo.call(
              id -> new LoadBefore(id, oid, key.before()),
              found -> found.ifPresent(x -> records.loaded(oid, x)));
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e); // never left in the map: later callers ask again
    }
    call.whenComplete((found, e) -> {
      asked.remove(key, mine); // the answer is cached by now: later callers find it there
      if (e != null) {
        mine.completeExceptionally(e);
      } else {
        mine.complete(found);
      }
    });
    return mine;
  }

  /**
   * The record of {@code oid} as of snapshot {@code at}, through the shared record cache.
   * Thread-safe: for readers that work on records rather than objects (paged files).
   *
   * @throws NoSuchObjectException if the object does not exist in that snapshot
   */
  public LoadResult loadRecord(Oid oid, Tid at) {
    return load(oid, at);
  }

  /** As {@link #loadRecord}, without waiting: many such loads are in flight at once. */
  public CompletableFuture<LoadResult> loadRecordAsync(Oid oid, Tid at) {
    return loadRecordIntoAsync(oid, at, null);
  }

  /**
   * As {@link #loadRecordAsync}, letting the record's data go straight into {@code sink}'s memory
   * when the record is not cached and has the sink's form (see {@link ZeoClient.Sink}): then {@link
   * ZeoClient.Sink#filled} is the data's length, and the record returned has an empty state (it is
   * not cached). Otherwise, or with no sink (null), the record comes as from {@link
   * #loadRecordAsync}, cached.
   */
  public CompletableFuture<LoadResult> loadRecordIntoAsync(Oid oid, Tid at, ZeoClient.Sink sink) {
    LoadResult r = records.lookup(oid, at);
    if (r != null) {
      return CompletableFuture.completedFuture(r);
    }
    if (sink == null) {
      return loadShared(oid, at)
          .thenApply(found -> found.orElseThrow(() -> new NoSuchObjectException(oid)));
    }
    Tid before = new Tid(at.value() + 1);
    return zeo.loadBeforeInto(
            oid,
            before,
            sink,
            found -> {
              if (sink == null || sink.filled() < 0) {
                found.ifPresent(x -> records.loaded(oid, x));
              }
            })
        .thenApply(found -> found.orElseThrow(() -> new NoSuchObjectException(oid)));
  }

  /**
   * As {@link #loadRecordAsync} for many oids at once. The records not in the cache are asked for
   * in one {@code zbigLoadBeforeMany} call (up to 4096 each) where the server offers it, else in
   * one batch of {@code loadBefore}s (their requests written and flushed together).
   *
   * @return the futures, one per oid, in order
   */
  public List<CompletableFuture<LoadResult>> loadRecordsAsync(List<Oid> oids, Tid at) {
    List<CompletableFuture<LoadResult>> out = new ArrayList<>(oids.size());
    List<Oid> asked = new ArrayList<>();
    List<CompletableFuture<LoadResult>> pending = new ArrayList<>();
    for (Oid oid : oids) {
      LoadResult r = records.lookup(oid, at);
      CompletableFuture<LoadResult> f =
          r != null ? CompletableFuture.completedFuture(r) : new CompletableFuture<>();
      out.add(f);
      if (r == null) {
        asked.add(oid);
        pending.add(f);
      }
    }
    Tid before = new Tid(at.value() + 1);
    if (asked.size() > 1 && zeo.loadsMany()) {
      for (int from = 0; from < asked.size(); from += LoadBeforeMany.MAX_OIDS) {
        int to = Math.min(asked.size(), from + LoadBeforeMany.MAX_OIDS);
        loadMany(asked.subList(from, to), pending.subList(from, to), before);
      }
      return out;
    }
    try (ZeoClient.Batch batch = zeo.batch()) {
      for (int i = 0; i < asked.size(); i++) {
        Oid oid = asked.get(i);
        CompletableFuture<LoadResult> f = pending.get(i);
        batch
            .call(
                id -> new LoadBefore(id, oid, before),
                found -> found.ifPresent(x -> records.loaded(oid, x)))
            .whenComplete((found, e) -> {
              if (e != null) {
                f.completeExceptionally(e);
              } else {
                complete(f, found, oid);
              }
            });
      }
    }
    return out;
  }

  /**
   * The revisions as of snapshot {@code at} of {@code oid} and of the objects it refers to, {@code
   * depth} references deep, in one {@code zbigLoadBeforeTree} call where the server offers it, for
   * a reader that would otherwise load them a level at a time (a ZBlk1 block's chunk table, then
   * its chunks). They are handed over whatever the cache's size (and cached as single loads are).
   * Where the server does not offer the call, or {@code oid}'s record is cached already (and so,
   * most likely, what it refers to), the map is empty: the reader loads as usual.
   *
   * @return completes with the records by oid (those not found are absent); never exceptionally
   *     (after a failed call, with an empty map)
   */
  public CompletableFuture<Map<Oid, LoadResult>> loadTreeAsync(Oid oid, Tid at, int depth) {
    if (!zeo.loadsTree() || records.lookup(oid, at) != null) {
      return CompletableFuture.completedFuture(Map.of());
    }
    Tid before = new Tid(at.value() + 1);
    return zeo.call(
            id -> new LoadBeforeTree(id, oid, before, depth),
            found -> {
              // on the network thread, in order with invalidations, as single loads are cached;
              // the records are views into one frame
              List<Oid> oids = new ArrayList<>(found.size());
              List<LoadResult> results = new ArrayList<>(found.size());
              for (LoadBeforeTree.Found f : found) {
                oids.add(f.oid());
                results.add(f.result());
              }
              records.loadedTogether(oids, results);
            })
        .handle((found, e) -> {
          if (e != null) {
            return Map.of();
          }
          Map<Oid, LoadResult> out = new HashMap<>(found.size() * 2);
          for (LoadBeforeTree.Found f : found) {
            out.put(f.oid(), f.result());
          }
          return out;
        });
  }

  /** Completes {@code f} with the record found, or with {@code oid} missing. */
  private static void complete(
      CompletableFuture<LoadResult> f, Optional<LoadResult> found, Oid oid) {
    if (found.isPresent()) {
      f.complete(found.get());
    } else {
      f.completeExceptionally(new NoSuchObjectException(oid));
    }
  }

  /**
   * One {@link LoadBeforeMany} call for {@code oids}, completing {@code futures} in order; asks
   * again for the oids a reply left out (it stops at a size).
   */
  private void loadMany(List<Oid> oids, List<CompletableFuture<LoadResult>> futures, Tid before) {
    zeo.call(
            id -> new LoadBeforeMany(id, oids, before),
            found -> {
              // on the network thread, in order with invalidations, as single loads are cached;
              // the records are views into one frame
              List<Oid> present = new ArrayList<>(found.size());
              List<LoadResult> results = new ArrayList<>(found.size());
              for (int i = 0; i < found.size(); i++) {
                if (found.get(i).isPresent()) {
                  present.add(oids.get(i));
                  results.add(found.get(i).get());
                }
              }
              records.loadedTogether(present, results);
            })
        .whenComplete((found, e) -> {
          if (e != null) {
            futures.forEach(f -> f.completeExceptionally(e));
            return;
          }
          int n = found.size();
          for (int i = 0; i < n; i++) {
            complete(futures.get(i), found.get(i), oids.get(i));
          }
          if (n < oids.size()) {
            loadMany(oids.subList(n, oids.size()), futures.subList(n, futures.size()), before);
          }
        });
  }

  /** A fresh oid, from batches of {@code new_oids}. */
  Oid newOid() {
    synchronized (freeOids) {
      if (freeOids.isEmpty()) {
        List<Oid> batch = zeo.invoke(id -> new NewOids(id, 100));
        freeOids.addAll(batch);
      }
      return freeOids.poll();
    }
  }

  long newTxnId() {
    return nextTxnId.incrementAndGet();
  }

  /**
   * Tells every connection but {@code committer} about a transaction; called on the event loop in
   * tid order, for the server's invalidations and for this database's own commits.
   */
  void invalidate(Tid tid, List<Oid> oids, Connection committer) {
    records.invalidate(tid, oids);
    synchronized (invalidationLock) {
      for (Connection c : connections) {
        if (c != committer) {
          c.invalidated(tid, oids);
        }
      }
      if (tid.compareTo(lastTid) > 0) {
        lastTid = tid;
      }
      invalidationLock.notifyAll();
    }
  }

  /**
   * Waits until a transaction newer than {@code after} is known to this database (its invalidations
   * were delivered, by this process's commits or by the server), for at most {@code timeout}: how a
   * watcher sleeps until something changes.
   *
   * @return the newest tid known, which is {@code after} or older when the time ran out
   * @throws InterruptedException if interrupted while waiting
   */
  public Tid awaitNewer(Tid after, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (invalidationLock) {
      for (long left;
          lastTid.compareTo(after) <= 0 && (left = deadline - System.nanoTime()) > 0; ) {
        TimeUnit.NANOSECONDS.timedWait(invalidationLock, left);
      }
      return lastTid;
    }
  }

  int cachedRecords() {
    return records.size();
  }

  @Override
  public void close() {
    for (Connection c : connections) {
      c.close();
    }
    zeo.close();
  }

  /** What the ZEO connection reports, applied in order on its event loop. */
  private final class Listener implements ZeoClient.Listener {
    @Override
    public void invalidate(Tid tid, List<Oid> oids) {
      Database.this.invalidate(tid, oids, null);
    }

    @Override
    public void invalidateAll(Tid tid) {
      records.clear();
      synchronized (invalidationLock) {
        for (Connection c : connections) {
          c.invalidatedAll();
        }
        lastTid = tid;
        invalidationLock.notifyAll();
      }
    }

    @Override
    public void info(Map<String, Object> info) {}
  }
}
