package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * Walks of untrusted values are bounded: a tuple DAG of 2^60 leaves (what a pickle's memo makes of
 * a few hundred bytes), a tuple nested a million deep and a list that contains itself each cost
 * about as much as a small value. Each test fails by timing out or overflowing the stack if a walk
 * expands them.
 */
@Timeout(10)
class BoundedValuesTest {
  /** A tuple whose each level is the level below, twice: 2^levels leaves, levels + 1 objects. */
  static Tuple bomb(int levels) {
    Object t = null;
    for (int i = 0; i < levels; i++) {
      t = Tuple.of(t, t);
    }
    return (Tuple) t;
  }

  static Tuple deep(int levels) {
    Object t = null;
    for (int i = 0; i < levels; i++) {
      t = Tuple.of(t);
    }
    return (Tuple) t;
  }

  @Test
  void reprIsCutAtItsLimitWhateverTheValue() {
    assertThat(PickleValues.repr(bomb(60))).hasSizeLessThanOrEqualTo(PickleValues.REPR_LIMIT + 3);
    assertThat(bomb(60).toString()).endsWith("...");
    assertThat(PickleValues.repr(deep(1_000_000), 100)).startsWith("((((").hasSizeLessThan(110);
    assertThat(WireValues.repr(bomb(60))).hasSizeLessThanOrEqualTo(83);
    List<Object> self = new ArrayList<>();
    self.add(self);
    assertThat(PickleValues.repr(self)).startsWith("[[[[").contains("...");
    java.math.BigInteger huge = new java.math.BigInteger("7".repeat(2000));
    assertThat(PickleValues.repr(huge)).isEqualTo("<int of " + huge.bitLength() + " bits>");
    // small values are Python's repr, unchanged
    assertThat(PickleValues.repr(Tuple.of(1L, "a", Bytes.utf8("b"), List.of(), Map.of("k", 2.5))))
        .isEqualTo("(1, 'a', b'b', [], {'k': 2.5})");
    assertThat(Tuple.of(1L).toString()).isEqualTo("(1,)");
    assertThat(new PyObject(new Global("numpy", "dtype"), Tuple.of("f8"), PyObject.Kind.REDUCE))
        .hasToString("numpy.dtype('f8',)");
  }

  @Test
  void equalBombsCompareInLinearTime() {
    assertThat(bomb(60)).isEqualTo(bomb(60)).isNotEqualTo(bomb(59));
    assertThat(bomb(60).hashCode()).isEqualTo(bomb(60).hashCode());
    Tuple a = bomb(60);
    Tuple b = Tuple.of(a.get(0), Tuple.of(bomb(58), 1L));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void checkShapeCountsSharedPartsAtEachUse() {
    assertThatThrownBy(() -> WireValues.checkShape(bomb(40), 1000, "args"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("args: more than 1000 values once shared parts are counted");
    assertThatThrownBy(() -> WireValues.checkShape(deep(1_000_000), 1L << 40, "args"))
        .hasMessageContaining("nested deeper than 64 levels");
    List<Object> self = new ArrayList<>();
    self.add(self);
    assertThatThrownBy(() -> WireValues.checkShape(self, 1000, "args"))
        .hasMessageContaining("contains itself");
    assertThatThrownBy(() -> WireValues.checkShape(WireValues.TOO_DEEP, 1000, "args"))
        .hasMessageContaining("nested deeper than 64 levels");
    // a tree of 1 + 3 + 3 values passes at 7 and fails at 6
    Tuple t = Tuple.of(Tuple.of(1L, 2L), 3L);
    Tuple shared = Tuple.of(t.get(0), t.get(0));
    WireValues.checkShape(shared, 7, "args");
    assertThatThrownBy(() -> WireValues.checkShape(shared, 6, "args"))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void msgidsAreSmallAtoms() {
    assertThat(new MsgId(7L).value()).isEqualTo(7L);
    assertThat(MsgId.of(org.zbig.zodb.Oid.ROOT, org.zbig.zodb.Tid.MAX).value())
        .isInstanceOf(Tuple.class);
    for (Object bad :
        new Object[] {
          null, bomb(40), deep(1000), Bytes.wrap(new byte[65]), Tuple.of(1L, 2L, 3L, 4L, 5L), "s"
        }) {
      assertThatThrownBy(() -> new MsgId(bad))
          .as(String.valueOf(bad))
          .isInstanceOf(ProtocolException.class)
          .hasMessageStartingWith("msgid: ");
    }
  }

  @Test
  void plainDataKeepsWhatClientsDecodeAndBoundsTheRest() {
    Map<String, Object> ext = new LinkedHashMap<>();
    ext.put("n", 1L);
    ext.put("set", Set.of(2L));
    ext.put("obj", new PyObject(new Global("builtins", "set"), Tuple.of(), PyObject.Kind.REDUCE));
    ext.put("list", List.of("a", Bytes.utf8("b")));
    ext.put("bomb", bomb(60));
    Map<String, Object> plain = PickleValues.plainDict(ext, 1000);
    assertThat(plain.get("n")).isEqualTo(1L);
    assertThat(plain.get("set")).isEqualTo(List.of(2L));
    assertThat(plain.get("obj")).isEqualTo("builtins.set()");
    assertThat(plain.get("list")).isEqualTo(List.of("a", Bytes.utf8("b")));
    // the bomb is cut to the budget, and what is left encodes in both encodings
    for (Encoding e : Encoding.values()) {
      byte[] f =
          new MessageCodec(e, Role.SERVER).encodeToArray(new Reply(MsgId.of(1), List.of(plain)));
      assertThat(f.length).as(e.toString()).isLessThan(20_000);
    }
    // a TransactionInfo keeps only plain data
    TransactionInfo t =
        new TransactionInfo(
            new org.zbig.zodb.Tid(5), " ", Bytes.EMPTY, Bytes.EMPTY, Map.of("s", Set.of()));
    assertThat(t.extension()).containsEntry("s", List.of());
  }
}
