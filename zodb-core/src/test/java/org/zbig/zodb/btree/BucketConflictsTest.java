package org.zbig.zodb.btree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.error.BTreesConflictException;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.Reference;

/**
 * Bucket conflict resolution: one test per rule, each with the reason code and the positions
 * (old/committed/mine, 1-based, -1 = used up) that Python's {@code bucket_merge} reports.
 */
class BucketConflictsTest {
  static final Reference NEXT = Reference.OidClass.of(new Oid(9), "BTrees.LOBTree.LOBucket");
  static final Reference OTHER = Reference.OidClass.of(new Oid(10), "BTrees.LOBTree.LOBucket");

  /** A map bucket from {@code key, value, key, value, ...}. */
  static BucketState map(Object... items) {
    return mapLinked(null, items);
  }

  static BucketState mapLinked(Object next, Object... items) {
    List<Object> keys = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < items.length; i += 2) {
      keys.add(items[i]);
      values.add(items[i + 1]);
    }
    return new BucketState(keys, values, next);
  }

  static BucketState set(Object... keys) {
    return BucketState.ofSet(List.of(keys), null);
  }

  static BucketState merge(BucketState old, BucketState committed, BucketState mine) {
    return BucketConflicts.resolve(old, committed, mine, BTreeFamily.LO, old.isSet());
  }

  static void assertConflict(ThrowingCallable call, ConflictReason reason, long... positions) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            BTreesConflictException.class,
            e -> {
              assertThat(ConflictReason.of(e.reason())).isEqualTo(reason);
              assertThat(new long[] {e.p1(), e.p2(), e.p3()}).containsExactly(positions);
            });
  }

  @Test
  void changesOfDifferentKeysMerge() {
    BucketState old = map(1L, "a", 3L, "c", 5L, "e");
    BucketState committed = map(1L, "a", 2L, "b", 3L, "c", 5L, "x");
    BucketState mine = map(1L, "a", 3L, "y", 5L, "e", 6L, "f");
    assertThat(merge(old, committed, mine))
        .isEqualTo(map(1L, "a", 2L, "b", 3L, "y", 5L, "x", 6L, "f"));
  }

  @Test
  void deletesOfDifferentKeysMerge() {
    BucketState old = map(1L, "a", 2L, "b", 3L, "c", 4L, "d");
    assertThat(merge(old, map(1L, "a", 3L, "c", 4L, "d"), map(1L, "a", 2L, "b", 3L, "c")))
        .isEqualTo(map(1L, "a", 3L, "c"));
  }

  @Test
  void unchangedMineGivesCommitted() {
    BucketState old = map(1L, "a", 2L, "b");
    BucketState committed = map(1L, "a", 2L, "x", 7L, "z");
    assertThat(merge(old, committed, old)).isEqualTo(committed);
    assertThat(merge(old, old, committed)).isEqualTo(committed);
  }

  @Test
  void mergeKeepsTheCommonNextLink() {
    BucketState old = mapLinked(NEXT, 1L, "a");
    BucketState merged =
        merge(old, mapLinked(NEXT, 1L, "a", 2L, "b"), mapLinked(NEXT, 0L, "z", 1L, "a"));
    assertThat(merged).isEqualTo(mapLinked(NEXT, 0L, "z", 1L, "a", 2L, "b"));
  }

  @Test
  void setsMergeInsertsAndDeletes() {
    BucketState old = set("a", "c", "e");
    BucketState merged =
        BucketConflicts.resolve(
            old, set("a", "b", "c", "e"), set("a", "e", "f"), BTreeFamily.OO, true);
    assertThat(merged).isEqualTo(set("a", "b", "e", "f"));
  }

  @Test
  void deletingTheFirstKeyAfterInsertingASmallerOneMerges() {
    BucketState old = map(2L, "b", 3L, "c");
    assertThat(merge(old, map(2L, "b", 3L, "c", 4L, "d"), map(1L, "a", 3L, "c")))
        .isEqualTo(map(1L, "a", 3L, "c", 4L, "d"));
  }

  @Test
  void nextChangedBySplitConflicts() {
    BucketState old = mapLinked(NEXT, 1L, "a");
    assertConflict(
        () -> merge(old, mapLinked(OTHER, 1L, "a"), old), ConflictReason.BUCKET_SPLIT, -1, -1, -1);
    assertConflict(
        () -> merge(old, old, mapLinked(null, 1L, "a")), ConflictReason.BUCKET_SPLIT, -1, -1, -1);
  }

  @Test
  void bothChangingOneValueConflicts() {
    BucketState old = map(1L, "a", 2L, "b");
    assertConflict(
        () -> merge(old, map(1L, "x", 2L, "b"), map(1L, "y", 2L, "b")),
        ConflictReason.CHANGED_BY_BOTH,
        1,
        1,
        1);
  }

  @Test
  void bothSettingTheSameNewValueConflictsToo() {
    BucketState old = map(1L, "a", 2L, "b");
    assertConflict(
        () -> merge(old, map(1L, "a", 2L, "x"), map(1L, "a", 2L, "x")),
        ConflictReason.CHANGED_BY_BOTH,
        2,
        2,
        2);
  }

  @Test
  void deleteOfAKeyTheOtherChangedConflicts() {
    BucketState old = map(1L, "a", 2L, "b", 3L, "c");
    assertConflict(
        () -> merge(old, map(1L, "a", 2L, "x", 3L, "c"), map(1L, "a", 3L, "c")),
        ConflictReason.CHANGED_COMMITTED_DELETED_MINE,
        2,
        2,
        2);
    assertConflict(
        () -> merge(old, map(1L, "a", 3L, "c"), map(1L, "a", 2L, "x", 3L, "c")),
        ConflictReason.CHANGED_MINE_DELETED_COMMITTED,
        2,
        2,
        2);
  }

  @Test
  void bothInsertingOneKeyConflictsEvenWithTheSameValue() {
    BucketState old = map(5L, "e");
    assertConflict(
        () -> merge(old, map(1L, "a", 5L, "e"), map(1L, "a", 5L, "e")),
        ConflictReason.INSERTED_OR_DELETED_BY_BOTH,
        1,
        1,
        1);
    assertConflict(
        () -> merge(old, map(5L, "e", 6L, "f"), map(5L, "e", 6L, "g")),
        ConflictReason.INSERTED_BY_BOTH,
        -1,
        2,
        2);
  }

  @Test
  void bothDeletingOneKeyConflicts() {
    BucketState old = map(1L, "a", 2L, "b", 3L, "c", 4L, "d");
    assertConflict(
        () -> merge(old, map(1L, "a", 3L, "c", 4L, "d"), map(1L, "a", 3L, "c", 4L, "d")),
        ConflictReason.INSERTED_OR_DELETED_BY_BOTH,
        2,
        2,
        2);
    assertConflict(
        () -> merge(old, map(1L, "a", 3L, "c", 4L, "d"), map(1L, "a", 4L, "d")),
        ConflictReason.DELETED_BY_BOTH,
        2,
        2,
        2);
  }

  @Test
  void conflictsAfterOneSideEndsNameThatSide() {
    BucketState old = map(1L, "a", 2L, "b");
    assertConflict(
        () -> merge(old, map(1L, "a", 2L, "x"), map(1L, "a")),
        ConflictReason.TAIL_DELETED_BY_MINE,
        2,
        2,
        -1);
    assertConflict(
        () -> merge(old, map(1L, "a"), map(1L, "a", 2L, "x")),
        ConflictReason.TAIL_DELETED_BY_COMMITTED,
        2,
        -1,
        2);
    BucketState three = map(1L, "a", 2L, "b", 3L, "c");
    assertConflict(
        () -> merge(three, map(1L, "a", 3L, "c"), map(1L, "a")),
        ConflictReason.TAIL_DELETED_BY_MINE,
        2,
        2,
        -1);
  }

  @Test
  void bothDeletingTheTailConflicts() {
    BucketState old = map(1L, "a", 2L, "b");
    assertConflict(
        () -> merge(old, map(1L, "a"), map(1L, "a")),
        ConflictReason.TAIL_DELETED_BY_BOTH,
        2,
        -1,
        -1);
  }

  @Test
  void anEmptySideConflicts() {
    BucketState old = map(1L, "a");
    assertConflict(
        () -> merge(old, BucketState.empty(false), map(1L, "a", 2L, "b")),
        ConflictReason.EMPTY_SIDE,
        -1,
        -1,
        -1);
    assertConflict(
        () -> merge(old, map(1L, "a", 2L, "b"), BucketState.empty(false)),
        ConflictReason.EMPTY_SIDE,
        -1,
        -1,
        -1);
  }

  @Test
  void deletingBelowAllRemainingKeysConflicts() {
    BucketState old = map(1L, "a", 2L, "b");
    assertConflict(() -> merge(old, old, map(2L, "b")), ConflictReason.FIRST_KEY_DELETED, 1, 1, 1);
    assertConflict(() -> merge(old, map(2L, "b"), old), ConflictReason.FIRST_KEY_DELETED, 1, 1, 1);
    assertConflict(
        () -> merge(old, map(2L, "b", 3L, "c"), map(1L, "a", 2L, "b", 4L, "d")),
        ConflictReason.FIRST_KEY_DELETED,
        1,
        1,
        1);
  }

  @Test
  void setFlavourMustMatch() {
    assertThatThrownBy(
            () -> BucketConflicts.resolve(set(1L), set(1L), map(1L, "a"), BTreeFamily.LO, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bucket state: a map (expected: a set)");
  }

  @Test
  void emptyOldBucketStateMergesInsertsOfDifferentKeys() {
    BTreeClass bucket = BTreeFamily.LO.classOf(BTreeKind.BUCKET);
    Object merged =
        BucketConflicts.resolveState(
            bucket, null, Tuple.of(Tuple.of(1L, "a")), Tuple.of(Tuple.of(2L, "b")));
    assertThat(merged).isEqualTo(Tuple.of(Tuple.of(1L, "a", 2L, "b")));
  }

  @Test
  void bucketStatesWithNextMerge() {
    BTreeClass bucket = BTreeFamily.IO.classOf(BTreeKind.BUCKET);
    Object merged =
        BucketConflicts.resolveState(
            bucket,
            Tuple.of(Tuple.of(1L, "a"), NEXT),
            Tuple.of(Tuple.of(1L, "a", 2L, "b"), NEXT),
            Tuple.of(Tuple.of(1L, "z"), NEXT));
    assertThat(merged).isEqualTo(Tuple.of(Tuple.of(1L, "z", 2L, "b"), NEXT));
  }

  @Test
  void inlineTreeStatesMergeToAnInlineTree() {
    BTreeClass tree = BTreeFamily.OO.classOf(BTreeKind.BTREE);
    Object old = new TreeState.Inline(map("a", 1L, "c", 3L)).encode();
    Object committed = new TreeState.Inline(map("a", 1L, "b", 2L, "c", 3L)).encode();
    Object mine = new TreeState.Inline(map("a", 1L, "c", 4L)).encode();
    assertThat(BucketConflicts.resolveState(tree, old, committed, mine))
        .isEqualTo(new TreeState.Inline(map("a", 1L, "b", 2L, "c", 4L)).encode());
  }

  @Test
  void emptyTreeStatesMergeDisjointFirstInserts() {
    BTreeClass treeSet = BTreeFamily.LO.classOf(BTreeKind.TREE_SET);
    Object merged =
        BucketConflicts.resolveState(
            treeSet,
            null,
            new TreeState.Inline(set(1L)).encode(),
            new TreeState.Inline(set(2L)).encode());
    assertThat(merged).isEqualTo(new TreeState.Inline(set(1L, 2L)).encode());
  }

  @Test
  void treeNodesWithChildrenAreNeverMerged() {
    BTreeClass tree = BTreeFamily.LO.classOf(BTreeKind.BTREE);
    Object inline = new TreeState.Inline(map(1L, "a")).encode();
    Object node = new TreeState.Children(List.of(NEXT, OTHER), List.of(5L), NEXT).encode();
    assertConflict(
        () -> BucketConflicts.resolveState(tree, inline, node, inline),
        ConflictReason.TREE_NODE,
        -1,
        -1,
        -1);
  }

  @Test
  void reasonCodesAreZodbs() {
    assertThat(ConflictReason.of(13)).isEqualTo(ConflictReason.FIRST_KEY_DELETED);
    assertThat(ConflictReason.FIRST_KEY_DELETED.message()).isEqualTo("Delete of first key");
    ConflictReason[] all = ConflictReason.values();
    for (int code = 0; code < all.length; code++) {
      assertThat(all[code].code()).isEqualTo(code); // declared in the order of ZODB's codes
      assertThat(ConflictReason.of(code)).isEqualTo(all[code]);
    }
    assertThatThrownBy(() -> ConflictReason.of(14))
        .hasMessage("BTrees conflict reason: 14 (expected: 0..13)");
  }
}
