package org.zbig.zodb.btree;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.zbig.zodb.error.BTreesConflictException;

/**
 * Three-way merge of bucket states, as B-tree classes resolve write conflicts ({@code
 * _p_resolveConflict}): {@code old} is the state both transactions read, {@code committed} what the
 * other transaction stored, {@code mine} what this one tries to store.
 *
 * <p>The rules (a conservative merge; anything else is a conflict with a {@link ConflictReason}):
 *
 * <ul>
 *   <li>The {@code next} link must be the same in all three ({@link ConflictReason#BUCKET_SPLIT});
 *       the result keeps it.
 *   <li>Neither {@code committed} nor {@code mine} may be empty ({@link
 *       ConflictReason#EMPTY_SIDE}): the side that emptied the bucket unlinked it from its tree.
 *   <li>A key left alone (same value) by one side takes the other side's value, or disappears if
 *       the other side deleted it.
 *   <li>A key whose value both sides changed is a conflict, <em>even if both set the same
 *       value</em> ({@link ConflictReason#CHANGED_BY_BOTH}). A key one side changed and the other
 *       deleted is a conflict (2, 3, 7, 8).
 *   <li>A key both sides inserted is a conflict, even with the same value (4, 6); a key both
 *       deleted is a conflict (4, 5, 7, 8, 9).
 *   <li>A side may not delete a key below all keys it still has, since that changes the bucket's
 *       smallest key, which the parent node may use as a separator ({@link
 *       ConflictReason#FIRST_KEY_DELETED}). This is checked only while all three states still have
 *       keys to walk, as Python does.
 *   <li>The result may not be empty ({@link ConflictReason#EMPTY_RESULT}; unreachable once the
 *       rules above hold, kept as a guard).
 * </ul>
 *
 * The walk goes through the three sorted item lists once. A conflict carries Python's positions:
 * the 1-based index of the item each walk stands on ({@code -1} when that list is used up, and all
 * three {@code -1} for reasons 0, 10 and 12), in the order old, committed, mine (the order of
 * Python's {@code merge_error} arguments).
 *
 * <p>Values are equal when {@link Objects#equals} says so; for references that is "same oid and
 * class". Python's {@code PersistentReference} refuses to compare two different references, so its
 * resolution fails as a whole when {@code committed} changed a reference value that {@code mine}
 * kept as it was; here that one-sided change merges.
 */
public final class BucketConflicts {
  private BucketConflicts() {}

  /**
   * Merges {@code committed} and {@code mine}, both changed from {@code old}.
   *
   * @param old the state both transactions started from (empty for an absent state)
   * @param committed the state the other transaction committed
   * @param mine the state this transaction stores
   * @param family the family, whose key order the walk uses
   * @param set whether the states are set buckets (keys only; no value changes exist)
   * @return the merged state, with {@code old}'s next link
   * @throws BTreesConflictException if the changes cannot be merged; {@link
   *     BTreesConflictException#reason()} is a {@link ConflictReason} code
   * @throws IllegalArgumentException if a state's set flavour differs from {@code set}
   */
  public static BucketState resolve(
      BucketState old, BucketState committed, BucketState mine, BTreeFamily family, boolean set) {
    for (BucketState s : List.of(old, committed, mine)) {
      if (s.isSet() != set) {
        throw new IllegalArgumentException(
            "bucket state: "
                + (set ? "a map" : "a set")
                + " (expected: "
                + (set ? "a set" : "a map")
                + ")");
      }
    }
    if (!Objects.equals(old.next(), committed.next()) || !Objects.equals(old.next(), mine.next())) {
      throw conflict(ConflictReason.BUCKET_SPLIT);
    }
    if (committed.size() == 0 || mine.size() == 0) {
      throw conflict(ConflictReason.EMPTY_SIDE);
    }
    return new Merge(old, committed, mine, family, set).run();
  }

  /**
   * Merges whole states of a B-tree class, as its {@code _p_resolveConflict(old, committed, mine)}
   * does: bucket and set states are merged by {@link #resolve}; tree states only in the inline form
   * (a tree with one bucket without an oid), giving an inline result. {@code None} stands for the
   * empty bucket or tree.
   *
   * @param type the class of the three states
   * @return the merged state value, to be pickled
   * @throws BTreesConflictException if the changes cannot be merged, or (reason 11, {@link
   *     ConflictReason#TREE_NODE}) a tree state has children of its own
   * @throws IllegalArgumentException if a state is malformed (a caller resolving a storage conflict
   *     treats this as an unresolvable conflict, as ZODB does)
   */
  public static Object resolveState(BTreeClass type, Object old, Object committed, Object mine) {
    BTreeFamily f = type.family();
    boolean set = type.kind().isSet();
    if (!type.kind().isTree()) {
      return resolve(bucket(old, f, set), bucket(committed, f, set), bucket(mine, f, set), f, set)
          .encode();
    }
    BucketState merged =
        resolve(inline(old, f, set), inline(committed, f, set), inline(mine, f, set), f, set);
    return new TreeState.Inline(merged).encode();
  }

  private static BucketState bucket(Object state, BTreeFamily f, boolean set) {
    return state == null ? BucketState.empty(set) : BucketState.decode(state, f, set);
  }

  /** The bucket of an empty or inline tree state; reason 11 for any other shape. */
  private static BucketState inline(Object state, BTreeFamily f, boolean set) {
    return switch (TreeState.decode(state, f, set)) {
      case TreeState.Empty e -> BucketState.empty(set);
      case TreeState.Inline i -> i.bucket();
      case TreeState.Children c -> throw conflict(ConflictReason.TREE_NODE);
    };
  }

  private static BTreesConflictException conflict(ConflictReason reason) {
    return new BTreesConflictException(-1, -1, -1, reason.code());
  }

  /** One walk over the three item lists; a, b, c index the current item of old, committed, mine. */
  private static final class Merge {
    private final BucketState old;
    private final BucketState committed;
    private final BucketState mine;
    private final BTreeFamily family;
    private final boolean set;
    private final List<Object> keys = new ArrayList<>();
    private final List<Object> values;
    private int a;
    private int b;
    private int c;

    Merge(
        BucketState old, BucketState committed, BucketState mine, BTreeFamily family, boolean set) {
      this.old = old;
      this.committed = committed;
      this.mine = mine;
      this.family = family;
      this.set = set;
      this.values = set ? null : new ArrayList<>();
    }

    BucketState run() {
      int na = old.size();
      int nb = committed.size();
      int nc = mine.size();
      // (1) all three have items: classify old's current key
      while (a < na && b < nb && c < nc) {
        int cmpOldCommitted = cmp(old, a, committed, b);
        int cmpOldMine = cmp(old, a, mine, c);
        if (cmpOldCommitted == 0 && cmpOldMine == 0) {
          // key kept by both: at most one side may have changed its value
          if (sameValue(old, a, committed, b)) {
            emit(mine, c);
          } else if (sameValue(old, a, mine, c)) {
            emit(committed, b);
          } else {
            throw fail(ConflictReason.CHANGED_BY_BOTH);
          }
          a++;
          b++;
          c++;
        } else if (cmpOldCommitted == 0) {
          if (cmpOldMine > 0) {
            emit(mine, c++); // inserted by mine
          } else if (sameValue(old, a, committed, b)) {
            if (c == 0) {
              throw fail(ConflictReason.FIRST_KEY_DELETED); // mine deleted below its first key
            }
            a++; // deleted by mine
            b++;
          } else {
            throw fail(ConflictReason.CHANGED_COMMITTED_DELETED_MINE);
          }
        } else if (cmpOldMine == 0) {
          if (cmpOldCommitted > 0) {
            emit(committed, b++); // inserted by committed
          } else if (sameValue(old, a, mine, c)) {
            if (b == 0) {
              throw fail(ConflictReason.FIRST_KEY_DELETED);
            }
            a++; // deleted by committed
            c++;
          } else {
            throw fail(ConflictReason.CHANGED_MINE_DELETED_COMMITTED);
          }
        } else {
          // neither side has old's key here: inserts before it, or deletes of it
          int cmpCommittedMine = cmp(committed, b, mine, c);
          if (cmpCommittedMine == 0) {
            throw fail(ConflictReason.INSERTED_OR_DELETED_BY_BOTH);
          }
          if (cmpOldCommitted > 0) {
            if (cmpCommittedMine > 0) {
              emit(mine, c++);
            } else {
              emit(committed, b++);
            }
          } else if (cmpOldMine > 0) {
            emit(mine, c++);
          } else {
            throw fail(ConflictReason.DELETED_BY_BOTH);
          }
        }
      }
      // (2) old used up: the rest are inserts, which must differ
      while (b < nb && c < nc) {
        int cmpCommittedMine = cmp(committed, b, mine, c);
        if (cmpCommittedMine == 0) {
          throw fail(ConflictReason.INSERTED_BY_BOTH);
        }
        if (cmpCommittedMine > 0) {
          emit(mine, c++);
        } else {
          emit(committed, b++);
        }
      }
      // (3) mine used up: old's remaining keys were deleted by mine, committed must keep them
      while (a < na && b < nb) {
        int cmpOldCommitted = cmp(old, a, committed, b);
        if (cmpOldCommitted > 0) {
          emit(committed, b++);
        } else if (cmpOldCommitted == 0 && sameValue(old, a, committed, b)) {
          a++;
          b++;
        } else {
          throw fail(ConflictReason.TAIL_DELETED_BY_MINE);
        }
      }
      // (4) committed used up: the mirror of (3)
      while (a < na && c < nc) {
        int cmpOldMine = cmp(old, a, mine, c);
        if (cmpOldMine > 0) {
          emit(mine, c++);
        } else if (cmpOldMine == 0 && sameValue(old, a, mine, c)) {
          a++;
          c++;
        } else {
          throw fail(ConflictReason.TAIL_DELETED_BY_COMMITTED);
        }
      }
      // (5) keys of old left over were deleted by both
      if (a < na) {
        throw fail(ConflictReason.TAIL_DELETED_BY_BOTH);
      }
      // (6) inserts after the end of old, at most one side has any left
      while (b < nb) {
        emit(committed, b++);
      }
      while (c < nc) {
        emit(mine, c++);
      }
      if (keys.isEmpty()) {
        throw conflict(ConflictReason.EMPTY_RESULT);
      }
      return new BucketState(keys, values, old.next());
    }

    private int cmp(BucketState x, int i, BucketState y, int j) {
      return family.compareKeys(x.keys().get(i), y.keys().get(j));
    }

    private boolean sameValue(BucketState x, int i, BucketState y, int j) {
      return set || Objects.equals(x.values().get(i), y.values().get(j));
    }

    private void emit(BucketState s, int i) {
      keys.add(s.keys().get(i));
      if (!set) {
        values.add(s.values().get(i));
      }
    }

    /** A conflict at the current positions, 1-based, -1 for a used-up list (Python's). */
    private BTreesConflictException fail(ConflictReason reason) {
      return new BTreesConflictException(
          position(a, old), position(b, committed), position(c, mine), reason.code());
    }

    private static int position(int index, BucketState s) {
      return index < s.size() ? index + 1 : -1;
    }
  }
}
