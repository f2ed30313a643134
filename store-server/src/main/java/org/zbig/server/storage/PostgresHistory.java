package org.zbig.server.storage;

import static org.zbig.server.storage.PostgresRows.BACK_POINTER;
import static org.zbig.server.storage.PostgresRows.DATA;
import static org.zbig.server.storage.PostgresRows.home;
import static org.zbig.server.storage.PostgresRows.revAt;
import static org.zbig.server.storage.PostgresRows.revAtOrBefore;
import static org.zbig.server.storage.PostgresRows.sql;
import static org.zbig.server.storage.PostgresRows.unsql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.server.storage.PostgresRows.Rev;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.UndoException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.References;

/**
 * Undo and pack of a {@link PostgresStorage}: the same rules as {@link KvStorage}'s
 * (docs/protocol.md §5.7, 5.8), in SQL. Pack reads without locks, then removes under the database
 * commit lock, so the commits of every server sharing the database wait only for the removal.
 */
final class PostgresHistory {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresHistory.class);

  private final PostgresStorage storage;

  PostgresHistory(PostgresStorage storage) {
    this.storage = storage;
  }

  /** See {@link Storage#undo}; reads see transactions up to {@code visible}. */
  static List<Write> undo(
      Connection c, Tid undone, Map<Oid, Write> pending, long visible, long packed)
      throws SQLException {
    String status;
    List<Oid> oids = PostgresRows.txnOids(c, undone.value());
    if (oids == null || Long.compareUnsigned(undone.value(), visible) > 0) {
      throw new UndoException("Invalid transaction id", null);
    }
    try (PreparedStatement ps = c.prepareStatement("select status from zbig_txn where tid = ?")) {
      ps.setLong(1, sql(undone.value()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        status = rs.getString(1);
      }
    }
    if (Long.compareUnsigned(undone.value(), packed) <= 0 || !" ".equals(status)) {
      throw new UndoException("non-undoable transaction", null);
    }
    return UndoPlan.writes(
        undone,
        oids,
        pending,
        visible,
        new UndoPlan.Revisions<SQLException>() {
          @Override
          public long home(Oid oid, long tid) throws SQLException {
            Rev r = revAt(c, oid, tid);
            if (r == null) {
              return UndoPlan.MISSING;
            }
            Rev h = PostgresRows.home(c, oid, r);
            return h == null ? UndoPlan.DELETED : h.tid();
          }

          @Override
          public long atOrBefore(Oid oid, long tid) throws SQLException {
            Rev r = revAtOrBefore(c, oid, tid);
            return r == null ? UndoPlan.MISSING : r.tid();
          }

          @Override
          public Bytes data(Oid oid, long home) throws SQLException {
            return Bytes.wrap(revAt(c, oid, home).data());
          }
        });
  }

  /** See {@link Storage#pack}; {@code snapshot} is the last tid the caller sees. */
  PackResult pack(Tid packTid, boolean gc, long snapshot) {
    long pt = Long.compareUnsigned(packTid.value(), snapshot) < 0 ? packTid.value() : snapshot;
    if (pt == 0) {
      return PackResult.NOTHING;
    }
    try (Connection c = storage.connect()) {
      // (1) the pack marker first: from here on undo cannot reach into the packed region
      try (PreparedStatement ps =
          c.prepareStatement("update zbig_meta set packed = ? where packed < ?")) {
        ps.setLong(1, sql(pt));
        ps.setLong(2, sql(pt));
        if (ps.executeUpdate() == 0) {
          return PackResult.NOTHING;
        }
      }
      // (2) read which revisions exist, without locks
      c.setAutoCommit(false);
      PackPlan plan = scan(c, pt, snapshot);
      c.commit();
      // (3) mark and decide
      PackPlan.Source<SQLException> source =
          new PackPlan.Source<>() {
            @Override
            public List<Oid> referencesAt(Oid oid, long tid) throws SQLException {
              return PostgresHistory.referencesAt(c, oid, tid);
            }

            @Override
            public boolean deletedAt(Oid oid, long tid) throws SQLException {
              Rev r = revAt(c, oid, tid);
              return r != null && home(c, oid, r) == null;
            }

            @Override
            public List<List<Oid>> referencesAt(List<PackPlan.Revision> revisions)
                throws SQLException {
              return PostgresHistory.referencesAt(c, revisions);
            }
          };
      plan.decide(source, gc);
      c.commit();
      // (4) sweep under the commit lock of every server
      try (Statement st = c.createStatement()) {
        st.execute("select pg_advisory_xact_lock(" + PostgresRows.lockArgs(storage.lockKey) + ")");
      }
      keepWhatNewCommitsUse(c, snapshot, plan, source);
      Map<Oid, List<Long>> remove = plan.remove();
      PackResult r = removeRevisions(c, remove, plan.vanish());
      c.commit();
      storage.refreshCounters(c);
      for (Map.Entry<Oid, List<Long>> e : remove.entrySet()) {
        for (long tid : e.getValue()) {
          storage.uncacheBlob(e.getKey(), tid);
        }
      }
      LOG.info(
          "packed {} up to {}: removed {} revisions, {} objects, {} transactions, {} bytes",
          storage.name(),
          new Tid(pt).toHex(),
          r.revisions(),
          r.objects(),
          r.transactions(),
          r.bytes());
      return r;
    } catch (SQLException e) {
      throw PostgresRows.fail("pack stopped, nothing removed", e);
    }
  }

  private static PackPlan scan(Connection c, long pt, long snapshot) throws SQLException {
    PackPlan plan = new PackPlan(pt);
    try (PreparedStatement ps =
        c.prepareStatement(
            "select zoid, tid, kind from zbig_rev where tid <= ? order by zoid, tid")) {
      ps.setFetchSize(10_000);
      ps.setLong(1, sql(snapshot));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.add(new Oid(unsql(rs.getLong(1))), unsql(rs.getLong(2)), rs.getShort(3) == DATA);
        }
      }
    }
    return plan;
  }

  /**
   * The references of many revisions with one query; back-pointers, rare, are followed one by one.
   */
  private static List<List<Oid>> referencesAt(Connection c, List<PackPlan.Revision> revisions)
      throws SQLException {
    Long[] oids = new Long[revisions.size()];
    Long[] tids = new Long[revisions.size()];
    for (int i = 0; i < oids.length; i++) {
      oids[i] = sql(revisions.get(i).oid().value());
      tids[i] = sql(revisions.get(i).tid());
    }
    List<List<Oid>> out = new ArrayList<>(Collections.nCopies(oids.length, List.of()));
    try (PreparedStatement ps =
        c.prepareStatement(
            "select k.i, r.kind, r.data from unnest(?::bigint[], ?::bigint[]) with ordinality as"
                + " k(zoid, tid, i) join zbig_rev r on r.zoid = k.zoid and r.tid = k.tid")) {
      ps.setArray(1, c.createArrayOf("bigint", oids));
      ps.setArray(2, c.createArrayOf("bigint", tids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int i = (int) rs.getLong(1) - 1;
          PackPlan.Revision r = revisions.get(i);
          short kind = rs.getShort(2);
          if (kind == DATA) {
            out.set(i, PackPlan.references(r.oid(), r.tid(), Bytes.wrap(rs.getBytes(3))));
          } else if (kind == BACK_POINTER) {
            out.set(i, referencesAt(c, r.oid(), r.tid()));
          }
        }
      }
    }
    return out;
  }

  private static List<Oid> referencesAt(Connection c, Oid oid, long tid) throws SQLException {
    Rev r = revAt(c, oid, tid);
    Rev h = r == null ? null : home(c, oid, r);
    return h == null ? List.of() : PackPlan.references(oid, tid, Bytes.wrap(h.data()));
  }

  /**
   * Keeps what transactions committed after the pack's snapshot (by any server) refer to: objects
   * they reference and revisions they point back to. Runs under the database commit lock.
   */
  private static void keepWhatNewCommitsUse(
      Connection c, long snapshot, PackPlan plan, PackPlan.Source<SQLException> source)
      throws SQLException {
    List<Long> newTids = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("select tid from zbig_txn where tid > ? order by tid")) {
      ps.setLong(1, sql(snapshot));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          newTids.add(unsql(rs.getLong(1)));
        }
      }
    }
    for (long tid : newTids) {
      for (Oid oid : PostgresRows.txnOids(c, tid)) {
        Rev r = revAt(c, oid, tid);
        if (r != null) {
          plan.keepUsedBy(
              oid,
              r.kind() == BACK_POINTER ? r.dataTid() : -1,
              r.kind() == DATA ? References.extract(Bytes.wrap(r.data()).segment()) : List.of());
        }
      }
    }
    plan.keepClosure(source);
  }

  private static PackResult removeRevisions(
      Connection c, Map<Oid, List<Long>> remove, Set<Oid> vanish) throws SQLException {
    Set<Long> touchedTxns = new HashSet<>();
    long revisions = 0;
    long bytes = 0;
    for (Map.Entry<Oid, List<Long>> e : remove.entrySet()) {
      Oid oid = e.getKey();
      Set<Long> gone = new HashSet<>(e.getValue());
      if (gone.isEmpty()) {
        continue;
      }
      // (a) kept revisions that point back into removed ones get the data and blob itself
      List<Rev> pointers = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "select tid, kind, data, data_tid from zbig_rev where zoid = ? and kind = "
                  + BACK_POINTER)) {
        ps.setLong(1, sql(oid.value()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            pointers.add(PostgresRows.rev(rs, 1));
          }
        }
      }
      for (Rev r : pointers) {
        if (gone.contains(r.tid())) {
          continue;
        }
        Rev h = home(c, oid, r);
        if (h != null && gone.contains(h.tid())) {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "update zbig_rev set kind = "
                      + DATA
                      + ", data = ?, data_tid = null where zoid = ? and tid = ?")) {
            ps.setBytes(1, h.data());
            ps.setLong(2, sql(oid.value()));
            ps.setLong(3, sql(r.tid()));
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "insert into zbig_blob (zoid, tid, chunk, data) select zoid, ?, chunk, data"
                      + " from zbig_blob where zoid = ? and tid = ?")) {
            ps.setLong(1, sql(r.tid()));
            ps.setLong(2, sql(oid.value()));
            ps.setLong(3, sql(h.tid()));
            ps.executeUpdate();
          }
        }
      }
      // (b) the removed revisions and their blobs
      Long[] tids = gone.stream().map(PostgresRows::sql).toArray(Long[]::new);
      try (PreparedStatement ps =
          c.prepareStatement(
              "delete from zbig_rev where zoid = ? and tid = any(?) returning kind,"
                  + " coalesce(length(data), 0)")) {
        ps.setLong(1, sql(oid.value()));
        ps.setArray(2, c.createArrayOf("bigint", tids));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            revisions++;
            if (rs.getShort(1) == DATA) {
              bytes += rs.getLong(2);
            }
          }
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement("delete from zbig_blob where zoid = ? and tid = any(?)")) {
        ps.setLong(1, sql(oid.value()));
        ps.setArray(2, c.createArrayOf("bigint", tids));
        ps.executeUpdate();
      }
      touchedTxns.addAll(gone);
    }
    // (c) transactions left without records
    long transactions;
    try (PreparedStatement ps =
        c.prepareStatement(
            "delete from zbig_txn t where t.tid = any(?) and not exists (select 1 from zbig_rev"
                + " r where r.tid = t.tid and r.zoid = any(t.oids))")) {
      ps.setArray(
          1,
          c.createArrayOf(
              "bigint", touchedTxns.stream().map(PostgresRows::sql).toArray(Long[]::new)));
      transactions = ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement("update zbig_meta set bytes = bytes - ?, objects = objects - ?")) {
      ps.setLong(1, bytes);
      ps.setLong(2, vanish.size());
      ps.executeUpdate();
    }
    return new PackResult(revisions, vanish.size(), transactions, bytes);
  }
}
