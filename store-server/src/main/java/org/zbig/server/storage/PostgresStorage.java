package org.zbig.server.storage;

import static org.zbig.server.storage.PostgresRows.BACK_POINTER;
import static org.zbig.server.storage.PostgresRows.DATA;
import static org.zbig.server.storage.PostgresRows.DELETED;
import static org.zbig.server.storage.PostgresRows.TXN_COLUMNS;
import static org.zbig.server.storage.PostgresRows.createSchema;
import static org.zbig.server.storage.PostgresRows.dataOf;
import static org.zbig.server.storage.PostgresRows.fail;
import static org.zbig.server.storage.PostgresRows.home;
import static org.zbig.server.storage.PostgresRows.lastInDatabase;
import static org.zbig.server.storage.PostgresRows.rev;
import static org.zbig.server.storage.PostgresRows.revAt;
import static org.zbig.server.storage.PostgresRows.revAtOrBefore;
import static org.zbig.server.storage.PostgresRows.sql;
import static org.zbig.server.storage.PostgresRows.txn;
import static org.zbig.server.storage.PostgresRows.txnOids;
import static org.zbig.server.storage.PostgresRows.unsql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.server.storage.PostgresRows.Rev;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.CurrentRecord;
import org.zbig.zodb.storage.LoadResult;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * The {@link Storage} in a PostgreSQL database, history-preserving, shareable by several servers.
 * Its tables, created on first open in the connection's current schema, are drawn in {@link
 * PostgresRows}.
 *
 * <p>Visibility: {@link #lastTransaction()} is this process's published tid; reads never see rows
 * after it, so a transaction another server commits becomes visible here only when {@link
 * #catchUp()} publishes it, which the server does atomically with queuing its invalidations.
 *
 * <p>Commits of all servers are serialized by one PostgreSQL advisory lock per schema: {@link
 * #lockCommits()} takes it as a session lock at vote, and {@link #commit} itself takes it again as
 * a transaction lock (re-entrant in one session), so that a commit without a vote (an import) is
 * serialized as well. A commit notifies the channel {@code zbig_<schema>}; {@link
 * #onForeignCommits} listens to it, and polls each second, so a lost notification delays an
 * invalidation by at most that long and never loses it.
 *
 * <p>Blobs live in the database; {@link #blobFile} materialises them in a local cache folder, which
 * a commit fills directly with the uploaded file.
 */
public final class PostgresStorage implements Storage {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresStorage.class);
  private static final int PAGE = 500;

  final HikariDataSource pool;
  private final String name;
  private final String schema;
  private final String channel;
  final long lockKey;
  private final PostgresBlobs blobs;
  private final String instance = Long.toHexString(new SecureRandom().nextLong()); // in WANTED
  private volatile Runnable lockWanted; // see onCommitLockWanted
  private final ReentrantLock committing = new ReentrantLock(); // guards committer, lockHeld
  private Connection committer; // holds the session lock from lockCommits to unlockCommits
  private boolean lockHeld;

  /** The data {@link #current} keeps at most. */
  static final long CACHE_BYTES = 64L << 20;

  private final Object visibility = new Object(); // guards the advance of last
  private volatile long last; // the published last tid (unsigned)

  /** Current revisions loaded or committed recently; invalidated as other commits are published. */
  final CurrentRecords current = new CurrentRecords(CACHE_BYTES);

  private final AtomicLong packs = new AtomicLong(); // a load begun before a pack is not cached
  private volatile long objects; // zbig_meta's counters when last was published or packed
  private volatile long bytes;
  private volatile PostgresListener listener;
  private volatile boolean closed;

  private PostgresStorage(HikariDataSource pool, Path blobs) {
    this.pool = pool;
    this.blobs = new PostgresBlobs(blobs);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "select current_database(), current_schema(), hashtext('zbig.' ||"
                      + " current_schema())")) {
        rs.next();
        if (rs.getString(2) == null) {
          throw new StorageException(
              "postgres: no current schema (expected: the connection's search_path names an"
                  + " existing schema, e.g. currentSchema=NAME in the JDBC URL)");
        }
        this.name = rs.getString(1) + "/" + rs.getString(2);
        this.schema = rs.getString(2);
        this.lockKey = rs.getInt(3);
      }
      // a channel name has at most 63 bytes, as every identifier
      this.channel =
          schema.length() <= 58 ? "zbig_" + schema : "zbig_" + Integer.toHexString((int) lockKey);
      createSchema(c, lockKey, name);
      c.commit();
      this.last = lastInDatabase(c);
      c.commit();
      refreshCounters(c);
    } catch (SQLException e) {
      pool.close();
      throw fail("cannot open the database", e);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Opens (creating its tables if missing) the storage at {@code jdbcUrl}, with at most {@code
   * poolSize} connections; blobs are cached in {@code blobCache}.
   *
   * @throws StorageException if the database cannot be reached or holds another schema version
   */
  public static PostgresStorage open(
      String jdbcUrl, String user, String password, int poolSize, Path blobCache) {
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new StorageException(
          "JDBC URL: " + jdbcUrl + " (expected: jdbc:postgresql://HOST[:PORT]/DATABASE...)");
    }
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(jdbcUrl);
    if (user != null) {
      cfg.setUsername(user);
    }
    if (password != null) {
      cfg.setPassword(password);
    }
    cfg.setMaximumPoolSize(Math.max(poolSize, 3)); // the committer, the listener, readers
    cfg.setPoolName("zbig-pg");
    cfg.setInitializationFailTimeout(10_000); // fail at start, naming the cause
    cfg.setConnectionTimeout(10_000);
    cfg.addDataSourceProperty("reWriteBatchedInserts", "true");
    cfg.addDataSourceProperty("ApplicationName", "zbig-server");
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(cfg);
    } catch (RuntimeException e) { // Hikari's PoolInitializationException
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StorageException(
          "postgres: cannot connect to " + withoutPassword(jdbcUrl) + ": " + cause.getMessage(), e);
    }
    return new PostgresStorage(pool, blobCache);
  }

  /** The URL without the value of a {@code password} property, for messages. */
  static String withoutPassword(String jdbcUrl) {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Tid lastTransaction() {
    return new Tid(last);
  }

  // --- the database unreachable ----------------------------------------------------------

  /** How long requests fail at once after the database was found unreachable. */
  private static final long UNREACHABLE_NANOS = 1_000_000_000L;

  /** While {@link System#nanoTime()} is before this (and it is not 0), the database is down. */
  private final AtomicLong unreachableUntil = new AtomicLong();

  private volatile String unreachableCause = "";

  /**
   * A session from the pool; fails at once while the database was found unreachable in the last
   * second. Without this, every request waited the pool's connection timeout in turn during an
   * outage (a commit queued behind seven others failed after 50 s); now one request a second probes
   * the database, waiting up to that timeout, and the others fail at once naming the cause.
   */
  Connection connect() throws SQLException {
    long until = unreachableUntil.get();
    if (until != 0) {
      long now = System.nanoTime();
      // past the window, the one request that moves it on probes; the others fail at once
      if (now - until < 0 || !unreachableUntil.compareAndSet(until, now + 60 * UNREACHABLE_NANOS)) {
        throw new SQLTransientConnectionException(
            "the database is unreachable (" + unreachableCause + "); trying again every second",
            "08001");
      }
    }
    try {
      Connection c = pool.getConnection();
      unreachableUntil.set(0);
      return c;
    } catch (SQLException e) {
      if (e instanceof SQLTransientConnectionException
          || (e.getSQLState() != null && e.getSQLState().startsWith("08"))) {
        unreachableCause = String.valueOf(e.getMessage());
        unreachableUntil.set(System.nanoTime() + UNREACHABLE_NANOS);
      } else if (until != 0) {
        unreachableUntil.set(0);
      }
      throw e;
    } catch (RuntimeException e) {
      if (until != 0) {
        unreachableUntil.set(0);
      }
      throw e;
    }
  }

  // --- reads -------------------------------------------------------------------------------

  interface Query<T> {
    T run(Connection c) throws SQLException;
  }

  <T> T read(String what, Query<T> q) {
    try (Connection c = connect()) {
      return q.run(c);
    } catch (SQLException e) {
      throw fail(what, e);
    }
  }

  @Override
  public Optional<LoadResult> loadBefore(Oid oid, Tid before) {
    CurrentRecords.Entry cached = current.get(oid);
    if (cached != null && Long.compareUnsigned(before.value(), cached.start().value()) > 0) {
      return Optional.of(new LoadResult(cached.data(), cached.start(), null));
    }
    long visible = last;
    long packsBefore = packs.get();
    Optional<LoadResult> loaded = load(oid, before, visible);
    if (loaded.isPresent() && loaded.get().end() == null) {
      current.put(
          oid,
          new CurrentRecords.Entry(loaded.get().start(), loaded.get().data()),
          () -> last == visible && packs.get() == packsBefore);
    }
    return loaded;
  }

  private Optional<LoadResult> load(Oid oid, Tid before, long visible) {
    return read(
        "loadBefore " + oid.toHex(),
        c -> {
          long b = before.value();
          long upTo = Long.compareUnsigned(b - 1, visible) < 0 ? b - 1 : visible;
          // one round trip: the revision and the tid of the next one (its end)
          Rev r = null;
          Tid end = null;
          if (b != 0) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "select r.tid, r.kind, r.data, r.data_tid, (select n.tid from zbig_rev n"
                        + " where n.zoid = r.zoid and n.tid > r.tid and n.tid <= ? order by"
                        + " n.tid limit 1) from zbig_rev r where r.zoid = ? and r.tid <= ? order"
                        + " by r.tid desc limit 1")) {
              ps.setLong(1, sql(visible));
              ps.setLong(2, sql(oid.value()));
              ps.setLong(3, sql(upTo));
              try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                  r = rev(rs, 1);
                  long n = rs.getLong(5);
                  end = rs.wasNull() ? null : new Tid(unsql(n));
                }
              }
            }
          }
          if (r == null) {
            try (PreparedStatement ps =
                c.prepareStatement("select 1 from zbig_rev where zoid = ? and tid <= ? limit 1")) {
              ps.setLong(1, sql(oid.value()));
              ps.setLong(2, sql(visible));
              try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                  return Optional.empty();
                }
              }
            }
            throw new NoSuchObjectException(oid);
          }
          if (r.kind() == DELETED) {
            throw new NoSuchObjectException(oid);
          }
          return Optional.of(new LoadResult(dataOf(c, oid, r), new Tid(r.tid()), end));
        });
  }

  @Override
  public Bytes loadSerial(Oid oid, Tid serial) {
    if (Long.compareUnsigned(serial.value(), last) > 0) {
      throw new NoSuchObjectException(oid);
    }
    return read(
        "loadSerial " + oid.toHex(),
        c -> {
          Rev r = revAt(c, oid, serial.value());
          if (r == null) {
            throw new NoSuchObjectException(oid);
          }
          return dataOf(c, oid, r);
        });
  }

  @Override
  public Optional<Tid> currentSerial(Oid oid) {
    CurrentRecords.Entry cached = current.get(oid);
    if (cached != null) {
      return Optional.of(cached.start());
    }
    long visible = last;
    return read(
        "currentSerial " + oid.toHex(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("select max(tid) from zbig_rev where zoid = ? and tid <= ?")) {
            ps.setLong(1, sql(oid.value()));
            ps.setLong(2, sql(visible));
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              long t = rs.getLong(1);
              return rs.wasNull() ? Optional.<Tid>empty() : Optional.of(new Tid(unsql(t)));
            }
          }
        });
  }

  @Override
  public Map<Oid, Optional<Tid>> currentSerials(Collection<Oid> oids) {
    Map<Oid, Optional<Tid>> out = new LinkedHashMap<>();
    List<Oid> asked = new ArrayList<>();
    for (Oid o : oids) {
      CurrentRecords.Entry cached = current.get(o);
      out.put(o, cached == null ? Optional.empty() : Optional.of(cached.start()));
      if (cached == null) {
        asked.add(o);
      }
    }
    if (asked.size() < 2) {
      for (Oid o : asked) {
        out.put(o, currentSerial(o));
      }
      return out;
    }
    long visible = last;
    return read(
        "currentSerials of " + asked.size() + " objects",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  // one backward index probe per object, not a scan of its whole history
                  "select z, (select max(r.tid) from zbig_rev r where r.zoid = z and r.tid <= ?)"
                      + " from unnest(?::bigint[]) z")) {
            ps.setLong(1, sql(visible));
            ps.setArray(
                2,
                c.createArrayOf(
                    "bigint", asked.stream().map(o -> sql(o.value())).toArray(Long[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                long tid = rs.getLong(2);
                if (!rs.wasNull()) {
                  out.put(new Oid(unsql(rs.getLong(1))), Optional.of(new Tid(unsql(tid))));
                }
              }
            }
          }
          return out;
        });
  }

  @Override
  public List<Map<String, Object>> history(Oid oid, int size) {
    long visible = last;
    long packed = packedUpTo().value();
    return read(
        "history " + oid.toHex(),
        c -> {
          List<Map<String, Object>> out = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "select r.kind, length(r.data), "
                      + TXN_COLUMNS
                      + " from zbig_rev r join zbig_txn t on t.tid = r.tid where r.zoid = ? and"
                      + " r.tid <= ? order by r.tid desc limit ?")) {
            ps.setLong(1, sql(oid.value()));
            ps.setLong(2, sql(visible));
            ps.setInt(3, Math.max(size, 1));
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                TransactionInfo t = txn(rs, 3, packed);
                Map<String, Object> d = new LinkedHashMap<>(t.extension());
                d.put("time", t.tid().toEpochSeconds());
                d.put("tid", Bytes.wrap(t.tid().toBytes()));
                d.put("user_name", t.user());
                d.put("description", t.description());
                d.put("size", rs.getShort(1) == DATA ? rs.getLong(2) : 0L);
                out.add(d);
              }
            }
          }
          if (out.isEmpty()) {
            throw new NoSuchObjectException(oid);
          }
          return size < 1 ? List.of() : out;
        });
  }

  // the highest oid this server stored or saw stored by another server's commit
  private final AtomicLong storedSeen = new AtomicLong();

  private final OidBlocks oids =
      new OidBlocks(
          new OidBlocks.Marks() {
            @Override
            public long reserve(long from, long take) {
              return read(
                  "newOids",
                  c -> {
                    try (PreparedStatement ps =
                        c.prepareStatement(
                            "update zbig_meta set max_oid = greatest(max_oid, ?) + ?"
                                + " returning max_oid")) {
                      ps.setLong(1, from);
                      ps.setLong(2, take);
                      try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                      }
                    }
                  });
            }

            @Override
            public void giveBack(long keep, long end) { // only if no other server reserved since
              read(
                  "newOids give-back",
                  c -> {
                    try (PreparedStatement ps =
                        c.prepareStatement("update zbig_meta set max_oid = ? where max_oid = ?")) {
                      ps.setLong(1, keep);
                      ps.setLong(2, end);
                      return ps.executeUpdate();
                    }
                  });
            }
          },
          0);

  /**
   * Hands out the next {@code n} oids above every oid handed out before and every oid stored that
   * this server knows of, from a block this server reserved in the shared mark ({@link OidBlocks}):
   * blocks of several servers never overlap, and one call in many is a round trip.
   */
  @Override
  public List<Oid> newOids(int n) {
    return oids.next(n, storedSeen.get());
  }

  /** At a clean close: the rest of the block back, if the database's mark is still its end. */
  private void giveBackOids() {
    try {
      oids.giveBack(storedSeen.get());
    } catch (StorageException e) { // the higher mark stays: safe, oids are skipped
      LOG.warn("could not give back the oids reserved: {}", e.toString());
    }
  }

  // --- commits -----------------------------------------------------------------------------

  /** Always: any number of servers may open the same database. */
  @Override
  public boolean sharedByServers() {
    return true;
  }

  /**
   * Takes the database lock that serializes the commits of every server on this database (at vote,
   * after the server's own commit lock); blocks while another server holds it.
   */
  @Override
  public void lockCommits() {
    committing.lock();
    try {
      if (lockHeld) {
        throw new IllegalStateException("the database commit lock is already held");
      }
      try (Statement st = committer().createStatement()) {
        String args = PostgresRows.lockArgs(lockKey);
        boolean got;
        try (ResultSet rs = st.executeQuery("select pg_try_advisory_lock(" + args + ")")) {
          rs.next();
          got = rs.getBoolean(1);
        }
        if (!got) {
          // tell the server that holds it (its listener), so that it gives it back soon
          try (PreparedStatement ps = committer.prepareStatement("select pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, PostgresListener.WANTED + instance);
            ps.execute();
          }
          st.execute("select pg_advisory_lock(" + args + ")");
        }
        lockHeld = true;
      } catch (SQLException e) {
        dropCommitter();
        throw fail("cannot take the commit lock", e);
      }
    } finally {
      committing.unlock();
    }
  }

  /** Releases the lock {@link #lockCommits()} took; does nothing if it is not held. */
  @Override
  public void unlockCommits() {
    committing.lock();
    try {
      if (!lockHeld) {
        return;
      }
      lockHeld = false;
      try (Statement st = committer().createStatement()) {
        st.execute("select pg_advisory_unlock(" + PostgresRows.lockArgs(lockKey) + ")");
      } catch (SQLException e) {
        dropCommitter(); // closing the session releases the lock
        LOG.warn("could not release the commit lock of {}: {}", name, e.toString());
      }
    } finally {
      committing.unlock();
    }
  }

  /**
   * Runs {@code action} on the listener's thread when another server announces that it waits for
   * the commit lock ({@link #lockCommits} notifies the channel before it blocks).
   */
  @Override
  public void onCommitLockWanted(Runnable action) {
    lockWanted = action;
  }

  /** Asks the database whether a session waits for the commit lock this server holds. */
  @Override
  public boolean othersWaitForCommits() {
    return read(
        "the commit lock's waiters",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "select exists (select 1 from pg_locks where locktype = 'advisory'"
                      + " and database = (select oid from pg_database"
                      + " where datname = current_database())"
                      + " and classid::bigint = ? and objid::bigint = ? and objsubid = 2 and not granted)")) {
            ps.setLong(1, Integer.toUnsignedLong(PostgresRows.LOCK_CLASS));
            ps.setLong(2, Integer.toUnsignedLong((int) lockKey));
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getBoolean(1);
            }
          }
        });
  }

  private Connection committer() throws SQLException {
    if (committer == null) {
      committer = connect();
      committer.setAutoCommit(true);
    }
    return committer;
  }

  /**
   * Closes the committer's database session, which releases a session lock it holds: evicted from
   * the pool, not returned to it, where the lock would stay held by an idle connection.
   */
  private void dropCommitter() {
    lockHeld = false;
    if (committer != null) {
      pool.evictConnection(committer);
      committer = null;
    }
  }

  @Override
  public void commit(Tid tid, TxnMeta meta, List<Write> writes) {
    commit(tid, meta, writes, true);
  }

  @Override
  public void commit(Tid tid, TxnMeta meta, List<Write> writes, boolean durable) {
    commitGroup(List.of(new Commit(tid, meta, writes)), durable);
  }

  /**
   * Writes the whole group in one database transaction (one synced commit): its revisions, its
   * transaction records and the counters in one statement.
   */
  @Override
  public void commitAll(List<Commit> commits) {
    commitGroup(commits, true);
  }

  private void commitGroup(List<Commit> commits, boolean durable) {
    List<Map<Oid, Write>> byTxn = new ArrayList<>(commits.size());
    int revisions = 0;
    boolean withBlobs = false;
    for (Commit cm : commits) {
      Map<Oid, Write> byOid = new LinkedHashMap<>();
      for (Write w : cm.writes()) {
        byOid.put(w.oid(), w);
        withBlobs |= w.blob() != null;
      }
      byTxn.add(byOid);
      revisions += byOid.size();
    }
    byte[][] datas = new byte[revisions][]; // the records' bytes, as sent and then cached
    committing.lock();
    try {
      Connection c = committer();
      synchronized (visibility) {
        long[] counters;
        if (lockHeld && durable && !withBlobs) {
          // this session holds the database lock and the statement is the whole transaction:
          // sent on its own, it commits itself, one round trip
          counters = writeTransactions(c, commits, byTxn, datas);
        } else {
          boolean done = false;
          c.setAutoCommit(false);
          try {
            try (Statement st = c.createStatement()) {
              if (!lockHeld) {
                // no lockCommits (an import, a restore): the lock for this transaction only; when
                // held, this session's lock from lockCommits already keeps every other writer out
                st.execute("select pg_advisory_xact_lock(" + PostgresRows.lockArgs(lockKey) + ")");
              }
              if (!durable) {
                st.execute("set local synchronous_commit = off");
              }
            }
            counters = writeTransactions(c, commits, byTxn, datas);
            for (int i = 0; i < commits.size(); i++) {
              for (Write w : byTxn.get(i).values()) {
                if (w.blob() != null) {
                  PostgresBlobs.store(c, w.oid(), commits.get(i).tid().value(), w.blob());
                }
              }
            }
            c.commit();
            done = true;
          } finally {
            if (!done) {
              c.rollback();
            }
            c.setAutoCommit(true);
          }
        }
        last = commits.getLast().tid().value();
        int r = 0;
        for (int t = 0; t < byTxn.size(); t++) {
          Map<Oid, Write> byOid = byTxn.get(t);
          current.invalidate(byOid.keySet()); // after last moved: see CurrentRecords.put
          Tid tid = commits.get(t).tid();
          for (Write w : byOid.values()) {
            if (datas[r] != null) {
              // what was just written is the current revision: the next vote on the object
              // checks its serial here, and loads find it, without a round trip
              current.put(w.oid(), new CurrentRecords.Entry(tid, Bytes.wrap(datas[r])), () -> true);
            }
            r++;
          }
        }
        objects = counters[0];
        bytes = counters[1];
      }
    } catch (SQLException e) {
      dropCommitter();
      throw fail("commit " + commits.getFirst().tid().toHex() + " failed", e);
    } finally {
      committing.unlock();
    }
    for (int i = 0; i < commits.size(); i++) {
      for (Write w : byTxn.get(i).values()) {
        if (w.blob() != null) {
          blobs.cache(w.blob(), w.oid(), commits.get(i).tid().value());
        }
      }
    }
  }

  /**
   * Writes transactions with one statement, under the database lock; returns the new object count
   * and size. The statement writes nothing unless the newest transaction in the database is still
   * this server's last one (no other server committed since its catch-up).
   */
  private long[] writeTransactions(
      Connection c, List<Commit> commits, List<Map<Oid, Write>> byTxn, byte[][] datas)
      throws SQLException {
    long prev = last;
    for (Commit cm : commits) {
      if (Long.compareUnsigned(cm.tid().value(), prev) <= 0) {
        throw new IllegalArgumentException(
            "commit tid: "
                + cm.tid().toHex()
                + " (expected: > last tid "
                + new Tid(prev).toHex()
                + ")");
      }
      prev = cm.tid().value();
    }
    // the whole group in one statement, one round trip: its revisions, its transaction records,
    // the counters with the notification other servers' listeners receive at commit, and what the
    // check needs, all read from the snapshot before the statement's own writes
    int revisions = datas.length;
    Long[] oidKeys = new Long[revisions];
    Long[] revTids = new Long[revisions];
    Short[] kinds = new Short[revisions];
    Long[] dataTids = new Long[revisions];
    int txns = commits.size();
    Long[] tids = new Long[txns];
    String[] statuses = new String[txns];
    byte[][] users = new byte[txns][];
    byte[][] descriptions = new byte[txns][];
    byte[][] extensions = new byte[txns][];
    Integer[] firsts = new Integer[txns];
    Integer[] lasts = new Integer[txns];
    Long[] sizes = new Long[txns];
    Set<Long> distinct = new LinkedHashSet<>();
    long dataBytes = 0;
    long maxOid = 0;
    int i = 0;
    for (int t = 0; t < txns; t++) {
      Commit cm = commits.get(t);
      TxnMeta meta = cm.meta();
      long txnBytes = 0;
      firsts[t] = i + 1; // SQL arrays count from 1
      for (Write w : byTxn.get(t).values()) {
        maxOid = Math.max(maxOid, w.oid().value());
        oidKeys[i] = sql(w.oid().value());
        distinct.add(oidKeys[i]);
        revTids[i] = sql(cm.tid().value());
        if (w.data() != null) {
          kinds[i] = DATA;
          datas[i] = w.data().toByteArray();
          txnBytes += w.data().length();
        } else if (w.dataTid() != null) {
          kinds[i] = BACK_POINTER;
          dataTids[i] = sql(w.dataTid().value());
        } else {
          kinds[i] = DELETED;
        }
        i++;
      }
      lasts[t] = i;
      dataBytes += txnBytes;
      tids[t] = sql(cm.tid().value());
      statuses[t] = meta.status();
      users[t] = meta.user().toByteArray();
      descriptions[t] = meta.description().toByteArray();
      extensions[t] = TxnRecords.encodeExtension(meta.extension());
      sizes[t] = txnBytes + meta.user().length() + meta.description().length();
    }
    long visible = last;
    long dbLast;
    long[] counters = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "with pre as (select (select max(tid) from zbig_txn) as db_last,"
                + " (select count(*) from unnest(?::bigint[]) z"
                + " where exists (select 1 from zbig_rev r where r.zoid = z)) as existing),"
                + " ok as (select 1 from pre where pre.db_last is not distinct from ?),"
                + " rev as (insert into zbig_rev (zoid, tid, kind, data, data_tid)"
                + " select u.zoid, u.tid, u.kind, u.data, u.data_tid"
                + " from unnest(?::bigint[], ?::bigint[], ?::smallint[], ?::bytea[], ?::bigint[])"
                + " as u(zoid, tid, kind, data, data_tid), ok),"
                + " txn as (insert into zbig_txn"
                + " (tid, status, username, description, extension, oids, size)"
                + " select t.tid, t.status, t.username, t.description, t.extension,"
                + " (?::bigint[])[t.first:t.last], t.size"
                + " from unnest(?::bigint[], ?::text[], ?::bytea[], ?::bytea[], ?::bytea[],"
                + " ?::int[], ?::int[], ?::bigint[])"
                + " as t(tid, status, username, description, extension, first, last, size), ok),"
                + " meta as (update zbig_meta set max_oid = greatest(max_oid, ?),"
                + " objects = objects + ? - (select existing from pre), bytes = bytes + ?"
                + " where exists (select 1 from ok)"
                + " returning objects, bytes, pg_notify(?, ?))"
                + " select pre.db_last, meta.objects, meta.bytes from pre left join meta on true")) {
      Array oidArray = c.createArrayOf("bigint", oidKeys);
      int k = 1;
      ps.setArray(k++, c.createArrayOf("bigint", distinct.toArray(Long[]::new)));
      if (visible == 0) {
        ps.setNull(k++, Types.BIGINT);
      } else {
        ps.setLong(k++, sql(visible));
      }
      ps.setArray(k++, oidArray);
      ps.setArray(k++, c.createArrayOf("bigint", revTids));
      ps.setArray(k++, c.createArrayOf("smallint", kinds));
      ps.setArray(k++, c.createArrayOf("bytea", datas));
      ps.setArray(k++, c.createArrayOf("bigint", dataTids));
      ps.setArray(k++, oidArray);
      ps.setArray(k++, c.createArrayOf("bigint", tids));
      ps.setArray(k++, c.createArrayOf("text", statuses));
      ps.setArray(k++, c.createArrayOf("bytea", users));
      ps.setArray(k++, c.createArrayOf("bytea", descriptions));
      ps.setArray(k++, c.createArrayOf("bytea", extensions));
      ps.setArray(k++, c.createArrayOf("int4", firsts));
      ps.setArray(k++, c.createArrayOf("int4", lasts));
      ps.setArray(k++, c.createArrayOf("bigint", sizes));
      ps.setLong(k++, maxOid);
      ps.setLong(k++, distinct.size());
      ps.setLong(k++, dataBytes);
      ps.setString(k++, channel);
      ps.setString(k++, commits.getLast().tid().toHex()); // listeners catch up to the newest
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long max = rs.getLong(1);
        dbLast = rs.wasNull() ? 0 : unsql(max);
        long objs = rs.getLong(2);
        if (!rs.wasNull()) {
          counters = new long[] {objs, rs.getLong(3)};
        }
      }
    }
    if (counters == null) { // nothing was written
      Tid first = commits.getFirst().tid();
      if (Long.compareUnsigned(first.value(), dbLast) <= 0) {
        throw new IllegalArgumentException(
            "commit tid: "
                + first.toHex()
                + " (expected: > last tid "
                + new Tid(dbLast).toHex()
                + ")");
      }
      throw new StorageException(
          "commit "
              + first.toHex()
              + ": another server committed "
              + new Tid(dbLast).toHex()
              + " after this server's last tid "
              + new Tid(visible).toHex()
              + " (expected: lockCommits and catchUp before a commit)");
    }
    storedSeen.accumulateAndGet(maxOid, Math::max);
    return counters;
  }

  /**
   * Publishes the transactions other servers committed after {@link #lastTransaction()}: from now
   * on reads see them. Returns them in tid order with the oids each changed. The caller tells its
   * clients, atomically with this call (docs/protocol.md §5.6).
   */
  @Override
  public SequencedMap<Tid, List<Oid>> catchUp() {
    synchronized (visibility) {
      long from = last;
      SequencedMap<Tid, List<Oid>> out =
          read(
              "catch-up read of the transaction table",
              c -> {
                SequencedMap<Tid, List<Oid>> txns = new LinkedHashMap<>();
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "select tid, oids from zbig_txn where tid > ? order by tid")) {
                  ps.setLong(1, sql(from));
                  try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                      txns.put(new Tid(unsql(rs.getLong(1))), PostgresRows.oids(rs.getArray(2)));
                    }
                  }
                }
                return txns;
              });
      if (!out.isEmpty()) {
        long seen = 0;
        for (List<Oid> changed : out.values()) {
          for (Oid o : changed) {
            seen = Math.max(seen, o.value());
          }
        }
        storedSeen.accumulateAndGet(seen, Math::max); // before last moves, as one update
        last = out.lastEntry().getKey().value();
        for (List<Oid> changed : out.values()) {
          current.invalidate(changed); // after last moved: see CurrentRecords.put
        }
        read(
            "counters",
            c -> {
              refreshCounters(c);
              return null;
            });
      }
      return out;
    }
  }

  /** The channel this schema's commits are notified on. */
  String channel() {
    return channel;
  }

  /**
   * Runs {@code listener} on a daemon thread whenever another server may have committed: on each
   * notification of this schema's channel, and at least every second (a lost notification is caught
   * up then). The listener calls {@link #catchUp()}.
   */
  @Override
  public void onForeignCommits(Runnable action) {
    if (listener != null) {
      throw new IllegalStateException("a commit listener is already registered");
    }
    listener =
        new PostgresListener(
            pool,
            channel,
            action,
            tid -> Long.compareUnsigned(tid, last) <= 0,
            wanter -> {
              Runnable r = lockWanted;
              if (r != null && !wanter.equals(instance)) {
                r.run();
              }
            },
            name);
  }

  // --- iteration ---------------------------------------------------------------------------

  @Override
  public Iterable<TransactionInfo> transactions(Tid start, Tid stop) {
    long from = start == null ? 0 : start.value();
    long visible = last;
    long to =
        stop == null || Long.compareUnsigned(stop.value(), visible) > 0 ? visible : stop.value();
    return () -> pages(after -> txnPage(after == null ? from : after + 1, to, true));
  }

  @Override
  public Iterable<TransactionInfo> transactionsNewestFirst() {
    long visible = last;
    return () ->
        pages(after ->
            after != null && after == 0
                ? List.of()
                : txnPage(0, after == null ? visible : after - 1, false));
  }

  /** Transactions with {@code from <= tid <= to}, at most one page, ascending or descending. */
  private List<TransactionInfo> txnPage(long from, long to, boolean ascending) {
    if (Long.compareUnsigned(from, to) > 0) {
      return List.of();
    }
    long packed = packedUpTo().value();
    return read(
        "transactions",
        c -> {
          List<TransactionInfo> out = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "select "
                      + TXN_COLUMNS
                      + " from zbig_txn t where t.tid >= ? and t.tid <= ? order by t.tid "
                      + (ascending ? "asc" : "desc")
                      + " limit "
                      + PAGE)) {
            ps.setLong(1, sql(from));
            ps.setLong(2, sql(to));
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(txn(rs, 1, packed));
              }
            }
          }
          return out;
        });
  }

  /** Iterates page after page; {@code page} gets the last tid of the previous page, or null. */
  private static Iterator<TransactionInfo> pages(Page page) {
    return new Iterator<>() {
      private List<TransactionInfo> current = page.apply(null);
      private int at;

      @Override
      public boolean hasNext() {
        if (at < current.size()) {
          return true;
        }
        if (current.size() < PAGE) {
          return false;
        }
        current = page.apply(current.getLast().tid().value());
        at = 0;
        return !current.isEmpty();
      }

      @Override
      public TransactionInfo next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.get(at++);
      }
    };
  }

  /** Fetches the page after the transaction {@code after}, or the first page if null. */
  private interface Page {
    List<TransactionInfo> apply(Long after);
  }

  @Override
  public long transactionSize(Tid tid) {
    return read(
        "transactionSize",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("select size from zbig_txn where tid = ?")) {
            ps.setLong(1, sql(tid.value()));
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getLong(1) : 0L;
            }
          }
        });
  }

  @Override
  public List<Oid> transactionOids(Tid tid) {
    if (Long.compareUnsigned(tid.value(), last) > 0) {
      return List.of();
    }
    List<Oid> oids = read("transactionOids", c -> txnOids(c, tid.value()));
    return oids == null ? List.of() : oids;
  }

  @Override
  public List<RecordInfo> records(Tid tid) {
    if (Long.compareUnsigned(tid.value(), last) > 0) {
      return List.of();
    }
    return read(
        "records",
        c -> {
          List<Oid> oids = txnOids(c, tid.value());
          List<RecordInfo> out = new ArrayList<>();
          if (oids == null) {
            return out;
          }
          for (Oid oid : oids) {
            Rev r = revAt(c, oid, tid.value());
            if (r == null) {
              continue; // removed by a pack
            }
            switch (r.kind()) {
              case DATA -> out.add(new RecordInfo(oid, tid, Bytes.wrap(r.data()), null));
              case BACK_POINTER -> {
                Rev h = home(c, oid, r);
                out.add(
                    new RecordInfo(
                        oid, tid, h == null ? null : Bytes.wrap(h.data()), new Tid(r.dataTid())));
              }
              default -> out.add(new RecordInfo(oid, tid, null, null));
            }
          }
          return out;
        });
  }

  @Override
  public Optional<CurrentRecord> recordAtOrAfter(Oid from) {
    long visible = last;
    return read(
        "recordAtOrAfter",
        c -> {
          Oid found = null;
          Rev foundRev = null;
          long at = from == null ? 0 : from.value();
          for (; ; ) {
            Oid oid = nextOid(c, at, visible);
            if (oid == null || found != null) {
              return found == null
                  ? Optional.<CurrentRecord>empty()
                  : Optional.of(
                      new CurrentRecord(
                          found, new Tid(foundRev.tid()), dataOf(c, found, foundRev), oid));
            }
            Rev r = revAtOrBefore(c, oid, visible);
            if (r != null && r.kind() != DELETED) {
              found = oid;
              foundRev = r;
            }
            if (oid.value() == -1L) {
              return Optional.of(
                  new CurrentRecord(found, new Tid(foundRev.tid()), dataOf(c, oid, r), null));
            }
            at = oid.value() + 1;
          }
        });
  }

  /** The smallest oid at or after {@code from} with a visible revision, or null. */
  private static Oid nextOid(Connection c, long from, long visible) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select zoid from zbig_rev where zoid >= ? and tid <= ? order by zoid limit 1")) {
      ps.setLong(1, sql(from));
      ps.setLong(2, sql(visible));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Oid(unsql(rs.getLong(1))) : null;
      }
    }
  }

  // --- blobs -------------------------------------------------------------------------------

  @Override
  public Path newBlobFile() {
    return blobs.newFile();
  }

  @Override
  public Path blobFile(Oid oid, Tid serial) {
    if (Long.compareUnsigned(serial.value(), last) > 0) {
      throw new NoSuchObjectException(oid);
    }
    return read(
        "blobFile " + oid.toHex(),
        c -> {
          Rev r = revAt(c, oid, serial.value());
          Rev h = r == null ? null : home(c, oid, r);
          if (h == null) {
            throw new NoSuchObjectException(oid);
          }
          return blobs.file(c, oid, h.tid());
        });
  }

  // --- undo and pack -----------------------------------------------------------------------

  @Override
  public List<Write> undo(Tid undone, Map<Oid, Write> pending) {
    long visible = last;
    long packed = packedUpTo().value();
    return read("undo", c -> PostgresHistory.undo(c, undone, pending, visible, packed));
  }

  @Override
  public Tid packedUpTo() {
    return read(
        "packedUpTo",
        c -> {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("select packed from zbig_meta")) {
            rs.next();
            return new Tid(unsql(rs.getLong(1)));
          }
        });
  }

  @Override
  public PackResult pack(Tid packTid, boolean gc) {
    try {
      return new PostgresHistory(this).pack(packTid, gc, last);
    } finally {
      packs
          .incrementAndGet(); // first: a load begun before the pack removed revisions is not cached
      current.clear();
    }
  }

  /** Deletes the cached blob of a revision a pack removed. */
  void uncacheBlob(Oid oid, long tid) {
    blobs.uncache(oid, tid);
  }

  /**
   * The number of objects, as of the last commit, catch-up or pack of this server (informational,
   * {@code get_info}).
   */
  @Override
  public long objectCount() {
    return objects;
  }

  /** Bytes of object data, as of the last commit, catch-up or pack of this server. */
  @Override
  public long size() {
    return bytes;
  }

  void refreshCounters(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select objects, bytes from zbig_meta")) {
      rs.next();
      objects = rs.getLong(1);
      bytes = rs.getLong(2);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    giveBackOids();
    PostgresListener l = listener;
    if (l != null) {
      l.close();
    }
    committing.lock();
    try {
      dropCommitter();
    } finally {
      committing.unlock();
    }
    pool.close();
  }

  @Override
  public String toString() {
    return "PostgresStorage[" + name + "]";
  }
}
