package org.zbig.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.wire.LoadSerial;
import org.zbig.wire.Ping;
import org.zbig.wire.ResolvableConflict;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcAbort;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;

/**
 * One isolated view of a {@link Database} and the unit of work on it: the objects loaded through
 * it, the changes of its current transaction, and {@link #commit} / {@link #abort}.
 *
 * <p>MVCC: a transaction sees the database as of its start (its snapshot tid); objects load with
 * {@code loadBefore(oid, snapshot + 1)}. Invalidations that arrive meanwhile are queued and applied
 * at the next transaction boundary (commit, abort or {@link #newTransaction()}), which moves the
 * snapshot forward and turns the invalidated objects back into ghosts.
 *
 * <p>Objects are cached per connection ({@code PickleCache}): each oid is one Java object while the
 * application holds it (weakly referenced otherwise), and at most {@link #setCacheSize} loaded
 * objects are kept loaded; the least recently used unchanged ones become ghosts beyond that.
 * Records become objects through {@code ObjectReader} and objects records through {@code
 * ObjectWriter}; the connection itself keeps the snapshot, the transaction's changes, commit and
 * invalidations.
 *
 * <p>A connection is used by one thread at a time.
 */
public final class Connection implements AutoCloseable {
  /** Code that takes part in this connection's transactions (for example a page cache). */
  public interface Synchronizer {
    /** Before the commit collects changed objects: a chance to change persistent objects. */
    default void beforeCommit(Connection c) {}

    /** After the transaction ended: committed or aborted. */
    default void afterCompletion(Connection c, boolean committed) {}

    /**
     * The new transaction's snapshot is in place and these objects changed since the previous one
     * (changed by other connections; {@code null}: anything may have changed).
     */
    default void invalidated(Connection c, Set<Oid> oids) {}
  }

  private static final int MAX_VOTE_ROUNDS = 10;

  private final Database db;
  private final PickleCache cache = new PickleCache();
  private final ObjectReader reader;
  private final ObjectWriter writer;
  private final Set<Persistent> changed = new LinkedHashSet<>();
  private final Set<Persistent> added = new LinkedHashSet<>();
  private final Queue<Object[]> invalidations = new ConcurrentLinkedQueue<>();
  private final List<Synchronizer> synchronizers = new ArrayList<>();
  private volatile boolean invalidateAll;
  private volatile Tid at; // read by virtmem loader threads (ZBigFile.loadBlock)
  private final boolean historical; // a read-only view fixed at a past tid
  private boolean closed;

  /** A connection that follows the database, or a historical one fixed at {@code fixedAt}. */
  Connection(Database db, Tid fixedAt) {
    this.db = db;
    this.historical = fixedAt != null;
    this.at = historical ? fixedAt : db.snapshot(this);
    this.reader = new ObjectReader(this, cache, db.registry());
    this.writer = new ObjectWriter(this, db.registry(), this::adopt);
  }

  /** The database. */
  public Database database() {
    return db;
  }

  /** The tid this transaction's view is as of. */
  public Tid snapshot() {
    return at;
  }

  /**
   * Whether this is a read-only view of the database as of a past transaction ({@link
   * Database#open(Tid)}), whose snapshot never moves.
   */
  public boolean isHistorical() {
    return historical;
  }

  /** Sets how many loaded objects the cache keeps loaded. */
  public void setCacheSize(int objects) {
    cache.setSize(objects);
  }

  /** Lets {@code s} take part in this connection's transactions. */
  public void register(Synchronizer s) {
    if (!synchronizers.contains(s)) {
      synchronizers.add(s);
    }
  }

  /**
   * Makes a paged file take part in this connection's transactions: at commit its changed pages are
   * written out through {@code storeBlock} (which may change persistent objects) before the objects
   * are stored; when a transaction ends without committing, its changes are discarded.
   */
  public void join(FileHandle file) {
    register(new FileSynchronizer(file));
  }

  /**
   * Writes a paged file's changed pages out at commit; when a transaction ends without committing,
   * drops its changes and reloads the pages it had written out.
   */
  public static class FileSynchronizer implements Synchronizer {
    /** The file. */
    protected final FileHandle file;

    private List<Long> stored = List.of(); // blocks written out by this transaction's commit

    /** Synchronizes {@code file}. */
    public FileSynchronizer(FileHandle file) {
      this.file = file;
    }

    /** The blocks the last commit wrote out, forgotten by this call. */
    protected List<Long> takeStored() {
      List<Long> s = stored;
      stored = List.of();
      return s;
    }

    @Override
    public void beforeCommit(Connection c) {
      stored = file.writeout();
    }

    @Override
    public void afterCompletion(Connection c, boolean committed) {
      if (!committed) {
        file.discard();
        if (!stored.isEmpty()) {
          file.invalidate(stored); // written out, but the commit failed: back to the snapshot
        }
      }
    }

    @Override
    public void invalidated(Connection c, Set<Oid> oids) {
      stored = List.of();
    }
  }

  /** The root object, a {@link PersistentMapping}. */
  public PersistentMapping root() {
    return (PersistentMapping) get(Oid.ROOT);
  }

  void createRoot() {
    PersistentMapping root = new PersistentMapping();
    cache.attach(root, Oid.ROOT, this);
    root.serial = Tid.Z64;
    root.state = Persistent.State.CHANGED;
    changed.add(root);
  }

  /**
   * The object {@code oid}, loaded if it is not cached yet.
   *
   * @throws org.zbig.zodb.error.NoSuchObjectException if it does not exist in this snapshot
   * @throws CorruptRecordException naming the oid and tid if its record cannot be read
   */
  public Persistent get(Oid oid) {
    checkOpen();
    Persistent p = cache.get(oid);
    return p != null ? p : reader.load(oid, db.load(oid, at));
  }

  /** {@link #get(Oid)} cast to {@code type}. */
  public <T extends Persistent> T get(Oid oid, Class<T> type) {
    return type.cast(get(oid));
  }

  /**
   * Adds a new object to the database: it gets an oid now and is stored at the next commit. Objects
   * referenced from stored objects are added by themselves; this is for objects reached by oid
   * only.
   */
  public Oid add(Persistent p) {
    checkOpen();
    if (historical) {
      throw readOnly(p);
    }
    if (p.jar == this) {
      return p.oid;
    }
    if (p.jar != null) {
      throw new IllegalArgumentException(p + " belongs to another connection");
    }
    adopt(p);
    return p.oid;
  }

  /** Makes {@code p}, a new object, part of this connection: an oid, stored at the next commit. */
  private void adopt(Persistent p) {
    cache.attach(p, db.newOid(), this);
    p.state = Persistent.State.CHANGED;
    added.add(p);
  }

  /** Called by {@link Persistent#readAccess()} on a ghost. */
  void activate(Persistent p) {
    checkOpen();
    reader.fill(p, db.load(p.oid, at));
  }

  /**
   * Called on access: keeps the object in the loaded set, making ghosts of the oldest beyond it.
   */
  void touched(Persistent p) {
    cache.touched(p);
  }

  /** Called by {@link Persistent#writeAccess()}. */
  void changed(Persistent p) {
    checkOpen();
    if (historical) {
      p.state = Persistent.State.UP_TO_DATE; // unchanged: the change is refused
      throw readOnly(p);
    }
    changed.add(p);
  }

  private ReadOnlyException readOnly(Object what) {
    return new ReadOnlyException(
        "cannot change " + what + ": the connection is a read-only view of the database at " + at);
  }

  /** Commits with an empty description. */
  public Tid commit() {
    return commit("");
  }

  /**
   * Commits this transaction's changes (two-phase commit with the server) and starts the next
   * transaction from the newest snapshot.
   *
   * @return the tid of the commit, or null if nothing had changed
   * @throws ConflictException if another transaction changed an object this one changed and the
   *     changes cannot be merged; the transaction is aborted then
   * @throws ClientDisconnectedException if the connection dropped; the transaction is aborted and
   *     nothing of it is stored
   */
  public Tid commit(String description) {
    checkOpen();
    boolean ok = false;
    try {
      for (Synchronizer s : List.copyOf(synchronizers)) {
        s.beforeCommit(this);
      }
      Tid tid = changed.isEmpty() && added.isEmpty() ? null : store(description);
      ok = true;
      return tid;
    } finally {
      if (!ok) {
        discardChanges();
      }
      endTransaction(ok);
    }
  }

  private Tid store(String description) {
    ZeoClient zeo = db.zeo();
    long txn = db.newTxnId();
    Map<Persistent, Bytes> records = new LinkedHashMap<>();
    Set<Persistent> queue = new LinkedHashSet<>(changed);
    queue.addAll(added);
    while (!queue.isEmpty()) {
      Iterator<Persistent> it = queue.iterator();
      Persistent p = it.next();
      it.remove();
      if (!records.containsKey(p)) {
        records.put(p, writer.record(p, queue));
      }
    }
    // one transaction at a time on the ZEO connection the database's connections share
    db.commitLock.lock();
    boolean finished = false;
    try {
      zeo.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.utf8(description), Map.of(), null, " "));
      Map<Oid, Persistent> byOid = new HashMap<>();
      for (Map.Entry<Persistent, Bytes> e : records.entrySet()) {
        Persistent p = e.getKey();
        byOid.put(p.oid, p);
        zeo.send(new StoreA(p.oid, p.serial == null ? Tid.Z64 : p.serial, e.getValue(), txn));
      }
      Set<Persistent> stale = Collections.newSetFromMap(new IdentityHashMap<>());
      for (int round = 1; ; round++) {
        VoteResult v = zeo.invoke(id -> new Vote(id, txn));
        for (Oid o : v.changed()) { // resolved by the server: our copy is not what is stored
          Persistent p = byOid.get(o);
          if (p != null) {
            stale.add(p);
          }
        }
        if (v.conflicts().isEmpty()) {
          break;
        }
        if (round == MAX_VOTE_ROUNDS) {
          throw new ConflictException(
              "conflicts still unresolved after " + round + " votes", null, null, null, null);
        }
        for (ResolvableConflict c : v.conflicts()) {
          Persistent p = byOid.get(c.oid());
          Bytes resolved = resolve(p, c);
          stale.add(p);
          zeo.send(new StoreA(c.oid(), c.committed(), resolved, txn));
        }
      }
      Tid tid =
          ZeoClient.join(
              zeo.call(
                  id -> new TpcFinish(id, txn),
                  committed -> db.invalidate(committed, List.copyOf(byOid.keySet()), this)));
      finished = true;
      for (Persistent p : records.keySet()) {
        p.serial = tid;
        if (stale.contains(p)) {
          p.clearState();
          p.state = Persistent.State.GHOST;
        } else {
          p.state = Persistent.State.UP_TO_DATE;
        }
      }
      changed.clear();
      added.clear();
      return tid;
    } finally {
      try {
        if (!finished) {
          zeo.invoke(id -> new TpcAbort(id, txn));
        }
      } catch (StorageException ignored) {
        // the connection is gone: the server aborted the transaction itself
      } finally {
        db.commitLock.unlock();
      }
    }
  }

  /** Client-side conflict resolution (docs/protocol.md §3.3.8): three states in, one record out. */
  private Bytes resolve(Persistent p, ResolvableConflict c) {
    ConflictException conflict =
        new ConflictException(
            ConflictException.DEFAULT_MESSAGE,
            c.oid(),
            c.committed(),
            c.read(),
            p == null ? null : db.registry().pythonClass(p).dotted());
    if (p == null || p instanceof OpaqueObject || c.read().equals(Tid.Z64)) {
      throw conflict;
    }
    ZeoClient zeo = db.zeo();
    try {
      Bytes committedRecord = zeo.invoke(id -> new LoadSerial(id, c.oid(), c.committed()));
      Bytes oldRecord = zeo.invoke(id -> new LoadSerial(id, c.oid(), c.read()));
      Object old = reader.state(p, oldRecord, c.read());
      Object committed = reader.state(p, committedRecord, c.committed());
      Object mine = reader.state(p, c.data(), null);
      Object merged = p.resolveConflict(old, committed, mine);
      return writer.record(p, merged, new LinkedHashSet<>());
    } catch (ConflictException e) {
      throw conflict;
    }
  }

  /** Drops this transaction's changes and starts the next transaction from the newest snapshot. */
  public void abort() {
    checkOpen();
    discardChanges();
    endTransaction(false);
  }

  /**
   * Starts a new transaction without committing (there must be no changes): applies the
   * invalidations received so far and moves the snapshot to the newest tid.
   *
   * @throws IllegalStateException if objects were changed
   */
  public void newTransaction() {
    checkOpen();
    if (!changed.isEmpty() || !added.isEmpty()) {
      throw new IllegalStateException(
          (changed.size() + added.size()) + " objects changed: commit or abort first");
    }
    endTransaction(false);
  }

  /**
   * As {@link #newTransaction()}, after a round trip to the server: every commit that finished
   * before this call is visible afterwards (ZODB's {@code server_sync}).
   */
  public void sync() {
    checkOpen();
    db.zeo().invoke(Ping::new);
    newTransaction();
  }

  private void discardChanges() {
    for (Persistent p : changed) {
      cache.discard(p);
    }
    for (Persistent p : added) {
      cache.forget(p);
    }
    changed.clear();
    added.clear();
  }

  private void endTransaction(boolean committed) {
    for (Synchronizer s : List.copyOf(synchronizers)) {
      s.afterCompletion(this, committed);
    }
    Tid next = historical ? at : db.snapshot(this);
    Set<Oid> changedOids = new HashSet<>();
    boolean everything = false;
    if (invalidateAll) {
      invalidateAll = false;
      everything = true;
      invalidations.clear();
      cache.ghostifyAll();
    }
    // only those up to the new snapshot: later ones are for the next boundary
    for (Object[] inv;
        (inv = invalidations.peek()) != null && ((Tid) inv[0]).compareTo(next) <= 0; ) {
      invalidations.poll();
      @SuppressWarnings("unchecked")
      List<Oid> oids = (List<Oid>) inv[1];
      changedOids.addAll(oids);
      for (Oid oid : oids) {
        Persistent p = cache.get(oid);
        if (p != null) {
          cache.ghostify(p);
        }
      }
    }
    at = next;
    if (everything || !changedOids.isEmpty() || committed) {
      for (Synchronizer s : List.copyOf(synchronizers)) {
        s.invalidated(this, everything ? null : changedOids);
      }
    }
  }

  void deactivate(Persistent p) {
    cache.ghostify(p);
  }

  /** Queues an invalidation; called on the ZEO event loop. */
  void invalidated(Tid tid, List<Oid> oids) {
    if (!historical) { // history does not change
      invalidations.add(new Object[] {tid, oids});
    }
  }

  /** Everything may be stale; called on the ZEO event loop. */
  void invalidatedAll() {
    if (!historical) {
      invalidateAll = true;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("connection closed");
    }
  }

  /** Aborts the current transaction and leaves the database. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    discardChanges();
    closed = true;
    db.closed(this);
  }
}
