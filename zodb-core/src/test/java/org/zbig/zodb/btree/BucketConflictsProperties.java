package org.zbig.zodb.btree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.zbig.zodb.error.BTreesConflictException;

/**
 * Bucket merges checked against a model: changes of disjoint keys merge to the union of the changes
 * (unless a side emptied itself or deleted below its smallest key), and any key changed by both
 * sides is a conflict.
 */
class BucketConflictsProperties {
  static final int KEYS = 16;

  /** What happens to one key: untouched, or touched by one side (or both, for overlap). */
  enum Touch {
    NONE,
    COMMITTED,
    MINE,
    BOTH
  }

  /**
   * A generated scenario over keys {@code 0..KEYS-1}.
   *
   * @param inOld which keys old has
   * @param touch who changes each key
   * @param delete for a key in old that is touched: delete (rather than change the value)
   * @param set whether the buckets are sets
   */
  record Scenario(List<Boolean> inOld, List<Touch> touch, List<Boolean> delete, boolean set) {
    NavigableMap<Long, String> old() {
      NavigableMap<Long, String> m = new TreeMap<>();
      for (int k = 0; k < KEYS; k++) {
        if (inOld.get(k)) {
          m.put((long) k, "o" + k);
        }
      }
      return m;
    }

    /** Old with the changes of {@code side} applied. */
    NavigableMap<Long, String> apply(Touch side) {
      NavigableMap<Long, String> m = old();
      for (int k = 0; k < KEYS; k++) {
        Touch t = touch.get(k);
        if (t != side && t != Touch.BOTH) {
          continue;
        }
        long key = k;
        if (!inOld.get(k)) {
          m.put(key, side.name() + k); // insert
        } else if (delete.get(k) || set) {
          m.remove(key); // a set has no values to change: delete
        } else {
          m.put(key, side.name() + k);
        }
      }
      return m;
    }

    /** Both sides' disjoint changes applied to old. */
    NavigableMap<Long, String> union() {
      NavigableMap<Long, String> m = apply(Touch.COMMITTED);
      NavigableMap<Long, String> mine = apply(Touch.MINE);
      for (int k = 0; k < KEYS; k++) {
        if (touch.get(k) == Touch.MINE) {
          long key = k;
          if (mine.containsKey(key)) {
            m.put(key, mine.get(key));
          } else {
            m.remove(key);
          }
        }
      }
      return m;
    }

    BucketState bucket(NavigableMap<Long, String> m) {
      List<Object> keys = new ArrayList<>(m.keySet());
      return set
          ? BucketState.ofSet(keys, null)
          : new BucketState(keys, new ArrayList<Object>(m.values()), null);
    }

    /** Whether {@code side} deleted a key of old below every key it kept. */
    boolean deletedBelowItsFirstKey(Touch side) {
      NavigableMap<Long, String> m = apply(side);
      return old().keySet().stream()
          .anyMatch(k -> !m.containsKey(k) && (m.isEmpty() || k < m.firstKey()));
    }

    BucketState resolve() {
      return BucketConflicts.resolve(
          bucket(old()),
          bucket(apply(Touch.COMMITTED)),
          bucket(apply(Touch.MINE)),
          BTreeFamily.LO,
          set);
    }
  }

  @Provide
  Arbitrary<Scenario> disjoint() {
    return scenarios(Arbitraries.of(Touch.NONE, Touch.NONE, Touch.COMMITTED, Touch.MINE));
  }

  @Provide
  Arbitrary<Scenario> overlapping() {
    return Combinators.combine(disjoint(), Arbitraries.integers().between(0, KEYS - 1))
        .as((s, k) -> {
          List<Touch> touch = new ArrayList<>(s.touch());
          touch.set(k, Touch.BOTH);
          return new Scenario(s.inOld(), touch, s.delete(), s.set());
        });
  }

  private static Arbitrary<Scenario> scenarios(Arbitrary<Touch> touch) {
    return Combinators.combine(
            Arbitraries.of(true, false).list().ofSize(KEYS),
            touch.list().ofSize(KEYS),
            Arbitraries.of(true, false).list().ofSize(KEYS),
            Arbitraries.of(true, false))
        .as(Scenario::new);
  }

  @Property(tries = 2000)
  void disjointChangesMergeToTheirUnion(@ForAll("disjoint") Scenario s) {
    ConflictReason expected = null;
    if (s.apply(Touch.COMMITTED).isEmpty() || s.apply(Touch.MINE).isEmpty()) {
      expected = ConflictReason.EMPTY_SIDE;
    } else if (s.deletedBelowItsFirstKey(Touch.COMMITTED)
        || s.deletedBelowItsFirstKey(Touch.MINE)) {
      expected = ConflictReason.FIRST_KEY_DELETED;
    }
    Statistics.collect(expected == null ? "merged" : expected);
    if (expected == null) {
      assertThat(s.resolve()).isEqualTo(s.bucket(s.union()));
    } else {
      ConflictReason reason = expected;
      assertThatThrownBy(s::resolve)
          .isInstanceOfSatisfying(
              BTreesConflictException.class,
              e -> assertThat(ConflictReason.of(e.reason())).isEqualTo(reason));
    }
  }

  @Property(tries = 2000)
  void aKeyChangedByBothSidesAlwaysConflicts(@ForAll("overlapping") Scenario s) {
    assertThatThrownBy(s::resolve).isInstanceOf(BTreesConflictException.class);
  }

  @Property(tries = 500)
  void mergeIsSymmetricInCommittedAndMine(@ForAll("disjoint") Scenario s) {
    BucketState old = s.bucket(s.old());
    BucketState committed = s.bucket(s.apply(Touch.COMMITTED));
    BucketState mine = s.bucket(s.apply(Touch.MINE));
    Map.Entry<BucketState, Long> forward = attempt(old, committed, mine, s.set());
    Map.Entry<BucketState, Long> backward = attempt(old, mine, committed, s.set());
    assertThat(backward).isEqualTo(forward);
  }

  /** The merge result, or the conflict reason. */
  private static Map.Entry<BucketState, Long> attempt(
      BucketState old, BucketState committed, BucketState mine, boolean set) {
    try {
      return Map.entry(BucketConflicts.resolve(old, committed, mine, BTreeFamily.LO, set), -1L);
    } catch (BTreesConflictException e) {
      return Map.entry(BucketState.empty(set), e.reason());
    }
  }
}
