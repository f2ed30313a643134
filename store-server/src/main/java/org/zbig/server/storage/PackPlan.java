package org.zbig.server.storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.References;

/**
 * What a pack removes (docs/protocol.md §5.8), whatever keeps the revisions: every revision that
 * was not current at the pack tid, the current one too if it is a deletion or, with garbage
 * collection, if its object is unreachable from the root (revisions newer than the pack tid count
 * as roots), and the objects left with no revision at all. A storage feeds the plan its revisions
 * up to the pack's snapshot ({@link #add}), lets it decide ({@link #decide}), then, with its
 * commits held, spares what transactions committed meanwhile use ({@link #keepUsedBy}, {@link
 * #keepClosure}) and removes {@link #remove()} and {@link #vanish()}.
 *
 * <p>Tids are unsigned longs; -1 stands for none.
 */
final class PackPlan {
  /** How the plan reads a storage's revisions; {@code X} is what reading may throw. */
  interface Source<X extends Exception> {
    /** The objects revision {@code tid} of {@code oid} refers to (through back-pointers). */
    List<Oid> referencesAt(Oid oid, long tid) throws X;

    /** Whether revision {@code tid} of {@code oid} deletes it (or points back to nothing). */
    boolean deletedAt(Oid oid, long tid) throws X;

    /**
     * The references of each of {@code revisions}, in their order: one at a time, unless a storage
     * reads many in one go.
     */
    default List<List<Oid>> referencesAt(List<Revision> revisions) throws X {
      List<List<Oid>> out = new ArrayList<>(revisions.size());
      for (Revision r : revisions) {
        out.add(referencesAt(r.oid(), r.tid()));
      }
      return out;
    }
  }

  /** Revision {@code tid} of {@code oid}. */
  record Revision(Oid oid, long tid) {}

  /** How many revisions the marking reads in one go. */
  static final int BATCH = 1000;

  /** What the plan knows about one object. */
  private static final class Revisions {
    long packTimeTid = -1; // the newest revision at or before the pack tid
    boolean packTimeHasData; // it holds data itself: certainly not a deletion
    final List<Long> older = new ArrayList<>(2);
    final List<Long> newer = new ArrayList<>(1);
  }

  private final long packTid;
  private final Map<Oid, Revisions> objects = new TreeMap<>();
  private final Map<Oid, List<Long>> remove = new LinkedHashMap<>();
  private final Set<Oid> vanish = new HashSet<>();
  private final Deque<Oid> used = new ArrayDeque<>();

  /** A plan for packing up to {@code packTid}. */
  PackPlan(long packTid) {
    this.packTid = packTid;
  }

  /**
   * Adds revision {@code tid} of {@code oid}; an object's revisions come in tid order. {@code
   * hasData}: the revision holds data itself (neither a back-pointer nor a deletion), when the
   * storage knows that without reading it.
   */
  void add(Oid oid, long tid, boolean hasData) {
    Revisions r = objects.computeIfAbsent(oid, o -> new Revisions());
    if (Long.compareUnsigned(tid, packTid) <= 0) {
      if (r.packTimeTid != -1) {
        r.older.add(r.packTimeTid);
      }
      r.packTimeTid = tid;
      r.packTimeHasData = hasData;
    } else {
      r.newer.add(tid);
    }
  }

  /** Decides what goes, marking what is reachable first when {@code gc}. */
  <X extends Exception> void decide(Source<X> source, boolean gc) throws X {
    Set<Oid> reachable = gc ? mark(source) : null;
    for (Map.Entry<Oid, Revisions> e : objects.entrySet()) {
      Oid oid = e.getKey();
      Revisions r = e.getValue();
      List<Long> gone = new ArrayList<>(r.older);
      if (r.packTimeTid != -1) {
        boolean deleted = !r.packTimeHasData && source.deletedAt(oid, r.packTimeTid);
        if (deleted || (reachable != null && !reachable.contains(oid))) {
          gone.add(r.packTimeTid);
          if (r.newer.isEmpty()) {
            vanish.add(oid);
          }
        }
      }
      if (!gone.isEmpty()) {
        remove.put(oid, gone);
      }
    }
  }

  /**
   * The objects reachable from the root at the pack tid, or from revisions newer than it: a
   * breadth-first walk that reads each level's revisions in batches of {@link #BATCH}.
   */
  private <X extends Exception> Set<Oid> mark(Source<X> source) throws X {
    Set<Oid> reachable = new HashSet<>();
    List<Oid> level = new ArrayList<>();
    level.add(Oid.ROOT);
    List<Revision> roots = new ArrayList<>();
    for (Map.Entry<Oid, Revisions> e : objects.entrySet()) {
      for (long tid : e.getValue().newer) {
        roots.add(new Revision(e.getKey(), tid));
      }
    }
    references(source, roots, level);
    while (!level.isEmpty()) {
      List<Revision> read = new ArrayList<>();
      for (Oid oid : level) {
        Revisions r = objects.get(oid);
        if (reachable.add(oid) && r != null && r.packTimeTid != -1) {
          read.add(new Revision(oid, r.packTimeTid));
        }
      }
      level = new ArrayList<>();
      references(source, read, level);
    }
    return reachable;
  }

  /** Adds the references of {@code revisions} to {@code into}, reading them in batches. */
  private static <X extends Exception> void references(
      Source<X> source, List<Revision> revisions, List<Oid> into) throws X {
    for (int from = 0; from < revisions.size(); from += BATCH) {
      for (List<Oid> refs :
          source.referencesAt(revisions.subList(from, Math.min(revisions.size(), from + BATCH)))) {
        into.addAll(refs);
      }
    }
  }

  /**
   * A record committed after the pack's snapshot: {@code oid}, the revision {@code dataTid} it
   * points back to (or -1), and the objects its data refers to. What it uses is spared.
   */
  void keepUsedBy(Oid oid, long dataTid, List<Oid> references) {
    if (dataTid != -1) {
      List<Long> gone = remove.get(oid);
      if (gone != null && gone.remove(dataTid)) {
        vanish.remove(oid);
      }
    }
    used.addAll(references);
  }

  /** Spares the objects the records given to {@link #keepUsedBy} reach, transitively. */
  <X extends Exception> void keepClosure(Source<X> source) throws X {
    Set<Oid> seen = new HashSet<>();
    while (!used.isEmpty()) {
      Oid oid = used.poll();
      if (!seen.add(oid)) {
        continue;
      }
      Revisions r = objects.get(oid);
      List<Long> gone = remove.get(oid);
      if (r != null && gone != null && gone.remove(r.packTimeTid)) {
        vanish.remove(oid);
        used.addAll(source.referencesAt(oid, r.packTimeTid));
      }
    }
  }

  /**
   * The objects {@code data}, revision {@code tid} of {@code oid}, refers to.
   *
   * @throws StorageException naming the revision if the record cannot be read
   */
  static List<Oid> references(Oid oid, long tid, Bytes data) {
    try {
      return References.extract(data.segment());
    } catch (RuntimeException e) {
      throw new StorageException(
          "pack stopped, nothing removed: cannot read the references of object "
              + oid.toHex()
              + " at "
              + new Tid(tid).toHex()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The revisions to remove, by object; lists may be empty after sparing. */
  Map<Oid, List<Long>> remove() {
    return remove;
  }

  /** The objects left with no revision. */
  Set<Oid> vanish() {
    return vanish;
  }
}
