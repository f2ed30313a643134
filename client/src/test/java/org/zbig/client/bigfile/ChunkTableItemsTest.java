package org.zbig.client.bigfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.btree.BucketState;

/**
 * The arrays a ZBlk1 read keeps its chunk table's items in, and the block lists of the oids a block
 * depends on: what the tree maps and sets they replace gave.
 */
class ChunkTableItemsTest {
  private static BucketState bucket(List<Object> keys, List<Object> values) {
    return new BucketState(keys, values, null);
  }

  @Test
  void bucketsInKeyOrderAreKeptAsTheyCame() {
    ZBigFile.Items items = new ZBigFile.Items();
    for (int b = 0; b < 10; b++) { // 10 buckets of 60: past the first capacity
      Object[] keys = new Object[60];
      Object[] values = new Object[60];
      for (int i = 0; i < 60; i++) {
        keys[i] = (long) (b * 60 + i) * 4096;
        values[i] = "chunk " + (b * 60 + i);
      }
      items.add(bucket(List.of(keys), List.of(values)));
    }
    assertThat(items.sorted()).isSameAs(items);
    assertThat(items.size).isEqualTo(600);
    assertThat(items.keys[599]).isEqualTo(599 * 4096);
    assertThat(items.refs[599]).isEqualTo("chunk 599");
  }

  /** A damaged tree whose buckets overlap reads as a map of its items would: sorted, last wins. */
  @Test
  void bucketsOutOfOrderAreSortedWithTheLastOfEqualKeysKept() {
    ZBigFile.Items items = new ZBigFile.Items();
    items.add(bucket(List.of(0L, 8192L, 16384L), List.of("a", "b", "c")));
    items.add(bucket(List.of(4096L, 8192L), List.of("d", "e")));
    ZBigFile.Items sorted = items.sorted();
    assertThat(Arrays.copyOf(sorted.keys, sorted.size)).containsExactly(0, 4096, 8192, 16384);
    assertThat(Arrays.copyOf(sorted.refs, sorted.size)).containsExactly("a", "d", "e", "c");
  }

  @Test
  void blockListsStayIncreasingAndEmptyOnesAreDropped() {
    long[] one = {7};
    assertThat(ZBigFile.with(one, 7)).isSameAs(one);
    long[] three = ZBigFile.with(ZBigFile.with(one, 2), 9);
    assertThat(three).containsExactly(2, 7, 9);
    assertThat(one).as("shared arrays are not changed").containsExactly(7);
    assertThat(ZBigFile.without(three, 5)).isSameAs(three);
    assertThat(ZBigFile.without(three, 7)).containsExactly(2, 9);
    assertThat(ZBigFile.without(one, 7)).isNull();
  }
}
