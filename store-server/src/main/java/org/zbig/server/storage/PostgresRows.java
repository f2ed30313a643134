package org.zbig.server.storage;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * The tables of a {@link PostgresStorage} and the reading of their rows. In the connection's
 * current schema:
 *
 * <pre>
 * zbig_meta (id = 1, version, max_oid, objects, bytes, packed)    one row: counters, pack marker
 * zbig_txn  (tid PK, status, username, description, extension, oids bigint[], size)
 * zbig_rev  (zoid, tid, kind, data, data_tid; PK (zoid, tid))      kind 0 data, 1 back-pointer,
 *                                                                  2 deletion
 * zbig_blob (zoid, tid, chunk, data; PK (zoid, tid, chunk))        blob bytes in 1 MiB chunks
 * </pre>
 *
 * Oids and tids are unsigned 64-bit numbers; columns hold them with the sign bit flipped ({@link
 * #sql}), so that SQL's signed order is their unsigned order. The extension is a pickled dict, as
 * in ZODB's FileStorage; {@code oids} lists a transaction's objects in the order written. The
 * current revision of an object is the greatest {@code tid} of its rows at or below the published
 * last tid: one backward step of the primary key index.
 */
final class PostgresRows {
  static final int VERSION = 1;
  static final short DATA = 0;
  static final short BACK_POINTER = 1;
  static final short DELETED = 2;

  private PostgresRows() {}

  /** Unsigned 64-bit value → column value (sign bit flipped: SQL order is unsigned order). */
  static long sql(long unsigned) {
    return unsigned ^ Long.MIN_VALUE;
  }

  /** Column value → unsigned 64-bit value. */
  static long unsql(long column) {
    return column ^ Long.MIN_VALUE;
  }

  /** The advisory lock space of zbig ({@code 'zbig'}), apart from other users of the database. */
  static final int LOCK_CLASS = 0x7a626967;

  /**
   * The arguments of the advisory lock functions for the commit lock {@code key}: the two-int form,
   * whose key space does not overlap the one-bigint form other applications tend to use.
   */
  static String lockArgs(long key) {
    return LOCK_CLASS + ", " + (int) key;
  }

  /** A failed statement as a {@link StorageException}, naming what failed and the first cause. */
  static StorageException fail(String what, SQLException e) {
    Throwable cause = e.getCause();
    String also =
        cause != null && cause.getMessage() != null && !e.getMessage().contains(cause.getMessage())
            ? " (" + cause.getMessage() + ")"
            : "";
    return new StorageException("postgres: " + what + ": " + e.getMessage() + also, e);
  }

  /** Creates the tables if missing, under the commit lock {@code lockKey}; checks the version. */
  static void createSchema(Connection c, long lockKey, String name) throws SQLException {
    try (Statement st = c.createStatement()) {
      // two servers opening a new database at once must not both create the tables
      st.execute("select pg_advisory_xact_lock(" + PostgresRows.lockArgs(lockKey) + ")");
      st.execute(
          "create table if not exists zbig_meta (id int primary key check (id = 1), version int"
              + " not null, max_oid bigint not null, objects bigint not null, bytes bigint not"
              + " null, packed bigint not null)");
      st.execute(
          "create table if not exists zbig_txn (tid bigint primary key, status text not null,"
              + " username bytea not null, description bytea not null, extension bytea not"
              + " null, oids bigint[] not null, size bigint not null)");
      st.execute(
          "create table if not exists zbig_rev (zoid bigint not null, tid bigint not null, kind"
              + " smallint not null, data bytea, data_tid bigint, primary key (zoid, tid))");
      st.execute(
          "create table if not exists zbig_blob (zoid bigint not null, tid bigint not null,"
              + " chunk int not null, data bytea not null, primary key (zoid, tid, chunk))");
      st.execute(
          "insert into zbig_meta values (1, "
              + VERSION
              + ", 0, 0, 0, "
              + sql(0)
              + ") on conflict do nothing");
      try (ResultSet rs = st.executeQuery("select version from zbig_meta")) {
        rs.next();
        if (rs.getInt(1) != VERSION) {
          throw new StorageException(
              "postgres: schema version "
                  + rs.getInt(1)
                  + " in "
                  + name
                  + " (expected: "
                  + VERSION
                  + ")");
        }
      }
    }
  }

  static long lastInDatabase(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select max(tid) from zbig_txn")) {
      rs.next();
      long v = rs.getLong(1);
      return rs.wasNull() ? 0 : unsql(v);
    }
  }

  /** One row of zbig_rev. */
  record Rev(long tid, short kind, byte[] data, long dataTid) {}

  static Rev rev(ResultSet rs, int at) throws SQLException {
    long dataTid = rs.getLong(at + 3);
    boolean noDataTid = rs.wasNull();
    return new Rev(
        unsql(rs.getLong(at)),
        rs.getShort(at + 1),
        rs.getBytes(at + 2),
        noDataTid ? -1 : unsql(dataTid));
  }

  /** The revision of {@code oid} at exactly {@code tid}, or null. */
  static Rev revAt(Connection c, Oid oid, long tid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select tid, kind, data, data_tid from zbig_rev where zoid = ? and tid = ?")) {
      ps.setLong(1, sql(oid.value()));
      ps.setLong(2, sql(tid));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rev(rs, 1) : null;
      }
    }
  }

  /** The newest revision of {@code oid} at or before {@code tid}, or null. */
  static Rev revAtOrBefore(Connection c, Oid oid, long tid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select tid, kind, data, data_tid from zbig_rev where zoid = ? and tid <= ? order by"
                + " tid desc limit 1")) {
      ps.setLong(1, sql(oid.value()));
      ps.setLong(2, sql(tid));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rev(rs, 1) : null;
      }
    }
  }

  /** The revision holding the data of {@code r} (following back-pointers), or null if deleted. */
  static Rev home(Connection c, Oid oid, Rev r) throws SQLException {
    for (int hops = 0; hops < 1000; hops++) {
      switch (r.kind()) {
        case DATA -> {
          return r;
        }
        case BACK_POINTER -> {
          Rev to = revAt(c, oid, r.dataTid());
          if (to == null) {
            throw new CorruptRecordException(
                oid, new Tid(r.dataTid()), "back-pointer to a missing revision", null);
          }
          r = to;
        }
        default -> {
          return null;
        }
      }
    }
    throw new CorruptRecordException(oid, new Tid(r.tid()), "back-pointer chain too long", null);
  }

  static Bytes dataOf(Connection c, Oid oid, Rev r) throws SQLException {
    Rev h = home(c, oid, r);
    if (h == null) {
      throw new NoSuchObjectException(oid);
    }
    return Bytes.wrap(h.data());
  }

  static final String TXN_COLUMNS = "t.tid, t.status, t.username, t.description, t.extension";

  static TransactionInfo txn(ResultSet rs, int at, long packed) throws SQLException {
    Tid tid = new Tid(unsql(rs.getLong(at)));
    return new TransactionInfo(
        tid,
        Long.compareUnsigned(tid.value(), packed) <= 0 ? "p" : rs.getString(at + 1),
        Bytes.wrap(rs.getBytes(at + 2)),
        Bytes.wrap(rs.getBytes(at + 3)),
        TxnRecords.decodeExtension(tid, rs.getBytes(at + 4)));
  }

  /** The oids of transaction {@code tid} in the order written, empty if unknown or not visible. */
  static List<Oid> txnOids(Connection c, long tid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select oids from zbig_txn where tid = ?")) {
      ps.setLong(1, sql(tid));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? oids(rs.getArray(1)) : null;
      }
    }
  }

  /** The oids of a {@code zbig_txn.oids} value. */
  static List<Oid> oids(Array column) throws SQLException {
    Long[] oids = (Long[]) column.getArray();
    List<Oid> out = new ArrayList<>(oids.length);
    for (Long o : oids) {
      out.add(new Oid(unsql(o)));
    }
    return out;
  }
}
