package org.zbig.zodb.btree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.Reference;

/** The bucket state codec (docs/formats.md §3.2) and its error messages. */
class BucketStateTest {
  static final Reference NEXT = Reference.OidClass.of(new Oid(7), "BTrees.LOBTree.LOBucket");

  @Test
  void lastBucketIsAOneTuple() {
    BucketState b = new BucketState(List.of(1L, 2L), Arrays.asList("a", null), null);
    assertThat(b.encode()).isEqualTo(Tuple.of(Tuple.of(1L, "a", 2L, null)));
    assertThat(BucketState.decode(b.encode(), false)).isEqualTo(b);
  }

  @Test
  void linkedBucketCarriesNextAsSecondItem() {
    BucketState b = new BucketState(List.of(1L), List.of("a"), NEXT);
    assertThat(b.encode()).isEqualTo(Tuple.of(Tuple.of(1L, "a"), NEXT));
    assertThat(BucketState.decode(b.encode(), BTreeFamily.LO, false)).isEqualTo(b);
  }

  @Test
  void setBucketHoldsKeysOnly() {
    BucketState s = BucketState.ofSet(List.of("a", "b", "c"), NEXT);
    assertThat(s.isSet()).isTrue();
    assertThat(s.encode()).isEqualTo(Tuple.of(Tuple.of("a", "b", "c"), NEXT));
    assertThat(BucketState.decode(s.encode(), BTreeFamily.OO, true)).isEqualTo(s);
  }

  @Test
  void emptyBucketEncodesAsAnEmptyItemsTuple() {
    assertThat(BucketState.empty(false).encode()).isEqualTo(Tuple.of(Tuple.EMPTY));
    assertThat(BucketState.decode(Tuple.of(Tuple.EMPTY), false))
        .isEqualTo(BucketState.empty(false));
  }

  @Test
  void withNextRelinks() {
    BucketState b = new BucketState(List.of(1L), List.of("a"), null).withNext(NEXT);
    assertThat(b.next()).isEqualTo(NEXT);
  }

  @Test
  void listsAreCopiedAndUnmodifiable() {
    List<Object> keys = new java.util.ArrayList<>(List.of(1L));
    BucketState b = new BucketState(keys, List.of("a"), null);
    keys.add(2L);
    assertThat(b.keys()).containsExactly(1L);
    assertThatThrownBy(() -> b.keys().add(3L)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void stateMustBeAOneOrTwoTuple() {
    assertThatThrownBy(() -> BucketState.decode(null, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bucket state: None (expected: a 1- or 2-tuple (items,) or (items, next))");
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.EMPTY, NEXT, NEXT), false))
        .hasMessage(
            "bucket state: tuple of 3 (expected: a 1- or 2-tuple (items,) or (items, next))");
    assertThatThrownBy(() -> BucketState.decode(List.of(Tuple.EMPTY), false))
        .hasMessageStartingWith("bucket state: list of 1 (expected");
  }

  @Test
  void itemsMustBeAFlatTupleOfEvenLength() {
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(List.of(1L, "a")), false))
        .hasMessage("bucket items: list of 2 (expected: a tuple)");
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(1L, "a", 2L)), false))
        .hasMessage(
            "bucket items: tuple of 3 (expected: an even number, alternating keys and values)");
  }

  @Test
  void nextMayNotBeNone() {
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(1L, "a"), null), false))
        .hasMessage("bucket next: None (expected: the next bucket, or a 1-tuple state)");
  }

  @Test
  void keysMustStrictlyIncrease() {
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(2L, "a", 1L, "b")), false))
        .hasMessage("bucket key 1: 1 (int) after 2 (int) (expected: strictly increasing)");
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(1L, 1L)), true))
        .hasMessage("bucket key 1: 1 (int) after 1 (int) (expected: strictly increasing)");
  }

  @Test
  void keysMustBeOfOneOrderableKind() {
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(1L, "x", "a", "y")), false))
        .hasMessageStartingWith("cannot order key 1 (int) against key 'a' (str)");
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(1.5, "x")), false))
        .hasMessage("bucket key 0: 1.5 (float) (expected: int, str or bytes)");
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of((Object) null)), true))
        .hasMessage("bucket key 0: None (NoneType) (expected: int, str or bytes)");
  }

  @Test
  void familyChecksNameTheItem() {
    Tuple state = Tuple.of(Tuple.of(1L, "a", 1L << 40, "b"));
    assertThat(BucketState.decode(state, BTreeFamily.LO, false).size()).isEqualTo(2);
    assertThatThrownBy(() -> BucketState.decode(state, BTreeFamily.IO, false))
        .hasMessage(
            "bucket item 1 of BTrees.IOBTree: key: 1099511627776 (int)"
                + " (expected: int in [-2^31, 2^31))");
    assertThatThrownBy(() -> BucketState.decode(Tuple.of(Tuple.of(1L, "a")), BTreeFamily.LL, false))
        .hasMessage(
            "bucket item 0 of BTrees.LLBTree: value: 'a' (str) (expected: int in [-2^63, 2^63))");
  }

  @Test
  void valuesMustMatchKeys() {
    assertThatThrownBy(() -> new BucketState(List.of(1L, 2L), List.of("a"), null))
        .hasMessage("bucket values: 1 (expected: one per key, 2)");
  }
}
