package org.zbig.zodb.btree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.Reference;

/** The tree state codec in its three shapes (docs/formats.md §3.3) and its error messages. */
class TreeStateTest {
  static final Reference B1 = Reference.OidClass.of(new Oid(1), "BTrees.LOBTree.LOBucket");
  static final Reference B2 = Reference.OidClass.of(new Oid(2), "BTrees.LOBTree.LOBucket");
  static final Reference B3 = Reference.OidClass.of(new Oid(3), "BTrees.LOBTree.LOBucket");

  @Test
  void emptyTreeIsNone() {
    assertThat(TreeState.EMPTY.encode()).isNull();
    assertThat(TreeState.decode(null, false)).isEqualTo(TreeState.EMPTY);
  }

  @Test
  void inlineBucketIsNestedInThreeOneTuples() {
    TreeState s = new TreeState.Inline(new BucketState(List.of(0L, 1L), List.of("a", "b"), null));
    assertThat(s.encode()).isEqualTo(Tuple.of(Tuple.of(Tuple.of(Tuple.of(0L, "a", 1L, "b")))));
    assertThat(TreeState.decode(s.encode(), BTreeFamily.LO, false)).isEqualTo(s);
  }

  @Test
  void inlineSetBucket() {
    TreeState s = new TreeState.Inline(BucketState.ofSet(List.of("a"), null));
    assertThat(s.encode()).isEqualTo(Tuple.of(Tuple.of(Tuple.of(Tuple.of("a")))));
    assertThat(TreeState.decode(s.encode(), BTreeFamily.OO, true)).isEqualTo(s);
  }

  @Test
  void childrenAlternateWithSeparatorsThenFirstBucket() {
    TreeState s = new TreeState.Children(List.of(B1, B2, B3), List.of(30L, 60L), B1);
    assertThat(s.encode()).isEqualTo(Tuple.of(Tuple.of(B1, 30L, B2, 60L, B3), B1));
    assertThat(TreeState.decode(s.encode(), BTreeFamily.LO, false)).isEqualTo(s);
  }

  @Test
  void singlePersistentBucketKeepsTheChildrenForm() {
    TreeState s = new TreeState.Children(List.of(B1), List.of(), B1);
    assertThat(s.encode()).isEqualTo(Tuple.of(Tuple.of(B1), B1));
    assertThat(TreeState.decode(s.encode(), false)).isEqualTo(s);
  }

  @Test
  void shapeErrorsNameTheValueAndTheExpectation() {
    assertThatThrownBy(() -> TreeState.decode(5L, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "tree state: 5 (int) (expected: None, (((items),),) or (children, firstbucket))");
    assertThatThrownBy(() -> TreeState.decode(Tuple.EMPTY, false))
        .hasMessageStartingWith("tree state: tuple of 0 (expected");
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(List.of(B1), B1), false))
        .hasMessage("tree children: list of 1 (expected: a tuple)");
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(B1, 30L), B1), false))
        .hasMessage(
            "tree children: tuple of 2 (expected: an odd number: child, key, child, ..., child)");
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(B1), null), false))
        .hasMessage("tree firstbucket: None (expected: the first bucket)");
  }

  @Test
  void oneTupleStateMustInlineItsOnlyBucket() {
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(B1)), false))
        .hasMessageStartingWith("tree state (children,) with child OidClass[");
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(B1, 3L, B2)), false))
        .hasMessage(
            "tree state (children,) with 3 children"
                + " (expected: one inline bucket state, or a firstbucket after the children)");
  }

  @Test
  void inlineBucketsMayNotSitAmongChildren() {
    Tuple inline = Tuple.of(Tuple.of(1L, "a"));
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(inline, 5L, B2), B1), false))
        .hasMessage(
            "tree child 0: tuple of 1 (expected: a bucket or tree reference;"
                + " only a 1-tuple state inlines its bucket)");
  }

  @Test
  void separatorsMustIncreaseAndMatchTheFamily() {
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(B1, 9L, B2, 5L, B3), B1), false))
        .hasMessage("tree separator 1: 5 (int) after 9 (int) (expected: strictly increasing)");
    assertThatThrownBy(
            () -> TreeState.decode(Tuple.of(Tuple.of(B1, 1L << 33, B2), B1), BTreeFamily.IO, false))
        .hasMessage(
            "tree separator 0 of BTrees.IOBTree: key: 8589934592 (int)"
                + " (expected: int in [-2^31, 2^31))");
    assertThatThrownBy(() -> new TreeState.Children(List.of(B1, B2), List.of(), B1))
        .hasMessage("tree separators: 0 (expected: one less than the 2 children)");
    assertThatThrownBy(() -> new TreeState.Children(List.of(), List.of(), B1))
        .hasMessage("tree children: none (expected: at least one; an empty tree is None)");
  }

  @Test
  void inlineBucketMayNotBeEmpty() {
    assertThatThrownBy(() -> TreeState.decode(Tuple.of(Tuple.of(Tuple.of(Tuple.EMPTY))), false))
        .hasMessage("inline bucket: empty (expected: at least one item; an empty tree is None)");
  }

  @Test
  void inlineBucketItemsAreCheckedAgainstTheFamily() {
    Tuple state = Tuple.of(Tuple.of(Tuple.of(Tuple.of("a", 1L))));
    assertThat(TreeState.decode(state, BTreeFamily.OO, false)).isInstanceOf(TreeState.Inline.class);
    assertThatThrownBy(() -> TreeState.decode(state, BTreeFamily.LO, false))
        .hasMessageStartingWith("bucket item 0 of BTrees.LOBTree: key: 'a' (str)");
  }
}
