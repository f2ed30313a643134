package org.zbig.zodb.btree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;

/** Families: names, limits (docs/formats.md §3.1), key checks and Python's key order. */
class BTreeFamilyTest {
  @Test
  void namesFollowTheModuleConvention() {
    assertThat(BTreeFamily.LO.module()).isEqualTo("BTrees.LOBTree");
    assertThat(BTreeFamily.LO.classOf(BTreeKind.BTREE).name()).isEqualTo("LOBTree");
    assertThat(BTreeFamily.LO.classOf(BTreeKind.BUCKET).name()).isEqualTo("LOBucket");
    assertThat(BTreeFamily.LO.classOf(BTreeKind.TREE_SET).name()).isEqualTo("LOTreeSet");
    assertThat(BTreeFamily.LO.classOf(BTreeKind.SET).name()).isEqualTo("LOSet");
    assertThat(BTreeFamily.IO.classOf(BTreeKind.BUCKET).global())
        .isEqualTo(Global.of("BTrees.IOBTree.IOBucket"));
    assertThat(BTreeFamily.OO.classOf(BTreeKind.TREE_SET).leaf())
        .isEqualTo(BTreeFamily.OO.classOf(BTreeKind.SET));
  }

  @Test
  void limitsAreTheSpecsTable() {
    assertThat(List.of(BTreeFamily.IO.maxLeafSize(), BTreeFamily.IO.maxInternalSize()))
        .containsExactly(60, 500);
    assertThat(List.of(BTreeFamily.LO.maxLeafSize(), BTreeFamily.LO.maxInternalSize()))
        .containsExactly(60, 500);
    assertThat(List.of(BTreeFamily.OO.maxLeafSize(), BTreeFamily.OO.maxInternalSize()))
        .containsExactly(30, 250);
    assertThat(List.of(BTreeFamily.LL.maxLeafSize(), BTreeFamily.II.maxInternalSize()))
        .containsExactly(120, 500);
    assertThat(List.of(BTreeFamily.OI.maxLeafSize(), BTreeFamily.OL.maxInternalSize()))
        .containsExactly(60, 250);
  }

  @Test
  void lookupFindsEveryClassOfEveryFamily() {
    for (BTreeFamily f : BTreeFamily.values()) {
      for (BTreeKind k : BTreeKind.values()) {
        BTreeClass c = f.classOf(k);
        assertThat(BTreeClass.of(f.module(), c.name())).contains(c);
        assertThat(BTreeClass.of(c.global())).contains(c);
      }
    }
    assertThat(BTreeClass.of("BTrees.LOBTree", "LOBucket"))
        .contains(new BTreeClass(BTreeFamily.LO, BTreeKind.BUCKET));
  }

  @Test
  void lookupRejectsOtherNames() {
    assertThat(BTreeClass.of("BTrees.LOBTree", "IOBucket")).isEmpty();
    assertThat(BTreeClass.of("BTrees.IOBTree", "LOBucket")).isEmpty();
    assertThat(BTreeClass.of("BTrees.LOBTree", "LOBTreePy")).isEmpty();
    assertThat(BTreeClass.of("BTrees.QOBTree", "QOBucket")).isEmpty();
    assertThat(BTreeClass.of("persistent.mapping", "PersistentMapping")).isEmpty();
  }

  @Test
  void int32KeysAreRangeChecked() {
    assertThat(BTreeFamily.IO.checkKey(2147483647L)).isEqualTo(2147483647L);
    assertThat(BTreeFamily.IO.checkKey(-2147483648L)).isEqualTo(-2147483648L);
    assertThatThrownBy(() -> BTreeFamily.IO.checkKey(2147483648L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key: 2147483648 (int) (expected: int in [-2^31, 2^31))");
    assertThatThrownBy(() -> BTreeFamily.II.checkValue("a"))
        .hasMessage("value: 'a' (str) (expected: int in [-2^31, 2^31))");
  }

  @Test
  void int64KeysRejectBigIntsAndOtherTypes() {
    assertThat(BTreeFamily.LO.checkKey(Long.MIN_VALUE)).isEqualTo(Long.MIN_VALUE);
    assertThatThrownBy(() -> BTreeFamily.LO.checkKey(BigInteger.ONE.shiftLeft(63)))
        .hasMessage("key: 9223372036854775808 (int) (expected: int in [-2^63, 2^63))");
    assertThatThrownBy(() -> BTreeFamily.LO.checkKey(null))
        .hasMessage("key: None (NoneType) (expected: int in [-2^63, 2^63))");
    assertThatThrownBy(() -> BTreeFamily.LL.checkValue(1.5))
        .hasMessage("value: 1.5 (float) (expected: int in [-2^63, 2^63))");
  }

  @Test
  void objectKeysAreIntsStrOrBytesAndValuesAnything() {
    assertThat(BTreeFamily.OO.checkKey("a")).isEqualTo("a");
    assertThat(BTreeFamily.OO.checkKey(BigInteger.TEN.pow(30))).isEqualTo(BigInteger.TEN.pow(30));
    assertThat(BTreeFamily.OO.checkKey(Bytes.utf8("a"))).isEqualTo(Bytes.utf8("a"));
    assertThat(BTreeFamily.OO.checkValue(null)).isNull();
    assertThat(BTreeFamily.OO.checkValue(List.of())).isEqualTo(List.of());
    assertThatThrownBy(() -> BTreeFamily.OO.checkKey(1.5))
        .hasMessage("key: 1.5 (float) (expected: int, str or bytes)");
    assertThatThrownBy(() -> BTreeFamily.OI.checkKey(null))
        .hasMessage("key: None (NoneType) (expected: int, str or bytes)");
  }

  @Test
  void mixingKeyKindsIsRefused() {
    assertThatThrownBy(() -> BTreeFamily.OO.compareKeys("a", 1L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cannot order key 'a' (str) against key 1 (int)"
                + " (expected: keys of one kind: all int, all str or all bytes)");
    assertThatThrownBy(() -> BTreeFamily.OO.compareKeys(Bytes.utf8("a"), "a"))
        .hasMessageContaining("cannot order key b'a' (bytes) against key 'a' (str)");
  }

  @Test
  void intsOrderNumericallyAcrossLongAndBigInteger() {
    BigInteger big = BigInteger.ONE.shiftLeft(70);
    assertThat(KeyOrder.compare(Long.MAX_VALUE, big)).isNegative();
    assertThat(KeyOrder.compare(big.negate(), Long.MIN_VALUE)).isNegative();
    assertThat(KeyOrder.compare(-1L, 1L)).isNegative();
    assertThat(KeyOrder.compare(BigInteger.valueOf(5), 5L)).isZero();
  }

  @Test
  void strOrdersByCodePointsNotUtf16Units() {
    String bmpHigh = "\uffff";
    String astral = "\ud83d\ude00"; // U+1F600, above U+FFFF
    assertThat(bmpHigh.compareTo(astral)).isPositive(); // Java's UTF-16 order
    assertThat(KeyOrder.compare(bmpHigh, astral)).isNegative(); // Python's order
    assertThat(KeyOrder.compare("ab", "abc")).isNegative();
    assertThat(KeyOrder.compare("b", "abc")).isPositive();
    assertThat(KeyOrder.compare("", "")).isZero();
  }

  @Test
  void bytesOrderUnsigned() {
    assertThat(KeyOrder.compare(Bytes.ofHex("7f"), Bytes.ofHex("80"))).isNegative();
    assertThat(KeyOrder.compare(Bytes.ofHex("ff"), Bytes.ofHex("ff00"))).isNegative();
    List<Object> sorted =
        new ArrayList<>(List.of(Bytes.ofHex("ff"), Bytes.ofHex(""), Bytes.ofHex("01")));
    sorted.sort(BTreeFamily.OO.keyComparator());
    assertThat(sorted).containsExactly(Bytes.ofHex(""), Bytes.ofHex("01"), Bytes.ofHex("ff"));
  }
}
