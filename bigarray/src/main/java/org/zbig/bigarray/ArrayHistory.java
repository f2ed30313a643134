package org.zbig.bigarray;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.wire.History;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;
import org.zbig.zodb.storage.LoadResult;

/**
 * The transactions that changed an array: those that wrote the array object or any object of its
 * file (the file, its block table's nodes, the blocks and their chunks), as found from the objects
 * the array reaches in a snapshot and each one's history on the server.
 *
 * <p>Objects no longer reached from the array now (a block dropped when the array shrank) are found
 * by walking the array's objects again as of before each transaction that changed one of its inner
 * objects (the array, the file, table nodes). Revisions removed by a pack are not listed.
 */
public final class ArrayHistory {
  private ArrayHistory() {}

  /** Leaf classes of a file: their records hold data and no references worth loading. */
  private static final Set<String> LEAVES =
      Set.of(
          "wendelin.bigfile.file_zodb.ZBlk0",
          "wendelin.bigfile.file_zodb.ZBlk",
          "wendelin.bigfile.file_zodb.ZData");

  /** How many revisions of one object are asked for at most. */
  private static final int MAX_REVISIONS = 1 << 20;

  /**
   * One transaction that changed an array.
   *
   * @param tid the transaction
   * @param user its user name
   * @param description its description
   * @param shapeBefore the array's shape before it, or null if the array did not exist then
   * @param shapeAfter the array's shape after it
   */
  public record Change(
      Tid tid, String user, String description, long[] shapeBefore, long[] shapeAfter) {
    /** When the transaction was committed. */
    public Instant time() {
      return tid.toInstant();
    }

    /**
     * The elements added along the major axis (rows of a C-order array), negative when it shrank; 0
     * when the shape stayed or the number of axes changed.
     */
    public long rowsAdded(int majorAxis) {
      if (shapeAfter.length == 0 || majorAxis >= shapeAfter.length) {
        return 0;
      }
      long before =
          shapeBefore == null
              ? 0
              : shapeBefore.length == shapeAfter.length ? shapeBefore[majorAxis] : -1;
      return before < 0 ? 0 : shapeAfter[majorAxis] - before;
    }
  }

  /**
   * The transactions up to {@code c}'s snapshot that changed {@code array}, oldest first.
   *
   * @param c a connection whose snapshot names the array's objects (a historical one gives the
   *     history up to its tid)
   */
  public static List<Change> log(Connection c, ZBigArray array) {
    Database db = c.database();
    Tid at = c.snapshot();
    Map<Oid, List<Tid>> revisions = new HashMap<>(); // of every object asked about
    Set<Oid> inner = new HashSet<>(); // objects with references: the array, tables, nodes
    TreeMap<Tid, Map<String, Object>> txns = new TreeMap<>();
    // the objects reached now, then as of before each transaction that changed the structure
    // (an object dropped since, a block cut by a shrink, was reached then)
    Set<Tid> walked = new HashSet<>();
    Deque<Tid> snapshots = new ArrayDeque<>(List.of(at));
    while (!snapshots.isEmpty()) {
      Tid s = snapshots.poll();
      if (!walked.add(s)) {
        continue;
      }
      Set<Oid> reached;
      try {
        reached = reachable(db, array.oid(), s, inner);
      } catch (NoSuchObjectException e) {
        continue; // before the array existed
      }
      List<Oid> fresh = reached.stream().filter(o -> !revisions.containsKey(o)).toList();
      List<CompletableFuture<List<Map<String, Object>>>> histories = new ArrayList<>();
      for (Oid oid : fresh) {
        histories.add(
            db.zeo()
                .call(id -> new History(id, oid, MAX_REVISIONS))
                .exceptionally(e -> List.of())); // created after the snapshot: no history
      }
      for (int i = 0; i < fresh.size(); i++) {
        List<Tid> tids = new ArrayList<>();
        for (Map<String, Object> d : ZeoClient.join(histories.get(i))) {
          Tid tid = Tid.of(((Bytes) d.get("tid")).toByteArray());
          if (tid.compareTo(at) <= 0) {
            txns.putIfAbsent(tid, d);
            tids.add(tid);
          }
        }
        revisions.put(fresh.get(i), tids);
      }
      for (Oid oid : inner) {
        for (Tid tid : revisions.getOrDefault(oid, List.of())) {
          Tid before = new Tid(tid.value() - 1);
          if (!walked.contains(before)) {
            snapshots.add(before);
          }
        }
      }
    }
    // the array's record as of each transaction, all loads in flight at once
    List<CompletableFuture<LoadResult>> records = new ArrayList<>(txns.size());
    for (Tid tid : txns.keySet()) {
      records.add(db.loadRecordAsync(array.oid(), tid));
    }
    List<Change> out = new ArrayList<>(txns.size());
    long[] shape = null;
    int i = 0;
    for (Map.Entry<Tid, Map<String, Object>> e : txns.entrySet()) {
      long[] after = shapeOf(records.get(i++));
      out.add(
          new Change(
              e.getKey(),
              text(e.getValue().get("user_name")),
              text(e.getValue().get("description")),
              shape,
              after));
      shape = after;
    }
    return out;
  }

  /** The shape in an array's record, or null if the array did not exist then. */
  private static long[] shapeOf(CompletableFuture<LoadResult> record) {
    try {
      return ZBigArray.shapeOf(DataRecord.decode(ZeoClient.join(record).data()).state());
    } catch (NoSuchObjectException e) {
      return null;
    }
  }

  private static String text(Object v) {
    return switch (v) {
      case null -> "";
      case Bytes b -> new String(b.toByteArray(), StandardCharsets.UTF_8);
      default -> v.toString();
    };
  }

  /**
   * The oids reached from {@code root} at {@code at}, without loading the data leaves; those loaded
   * (they have references) are added to {@code inner}.
   */
  private static Set<Oid> reachable(Database db, Oid root, Tid at, Set<Oid> inner) {
    Set<Oid> seen = new HashSet<>();
    seen.add(root);
    Deque<Oid> next = new ArrayDeque<>(List.of(root));
    while (!next.isEmpty()) {
      // one round of loads in flight at once
      List<CompletableFuture<LoadResult>> loads = new ArrayList<>();
      while (!next.isEmpty()) {
        Oid oid = next.poll();
        inner.add(oid);
        loads.add(db.loadRecordAsync(oid, at));
      }
      for (CompletableFuture<LoadResult> f : loads) {
        List<Reference> refs = new ArrayList<>();
        collect(DataRecord.decode(ZeoClient.join(f).data()).state(), refs);
        for (Reference r : refs) {
          if (r.strong() && seen.add(r.oid())) {
            boolean leaf = r instanceof Reference.OidClass oc && LEAVES.contains(oc.className());
            if (!leaf) {
              next.add(r.oid());
            }
          }
        }
      }
    }
    return seen;
  }

  private static void collect(Object v, List<Reference> out) {
    switch (v) {
      case Reference r -> out.add(r);
      case Tuple t -> t.items().forEach(x -> collect(x, out));
      case List<?> l -> l.forEach(x -> collect(x, out));
      case Map<?, ?> m -> {
        m.keySet().forEach(x -> collect(x, out));
        m.values().forEach(x -> collect(x, out));
      }
      case null, default -> {}
    }
  }
}
