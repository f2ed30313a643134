package org.zbig.zodb.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hash codes and hashability, computed at first use. */
class TupleTest {
  @Test
  void equalTuplesHashAlikeWhicheverIsAskedFirst() {
    Tuple a = Tuple.of(1L, Bytes.utf8("x"), Tuple.of("s", null));
    Tuple b = Tuple.of(1L, Bytes.utf8("x"), Tuple.of("s", null));
    assertThat(((Tuple) b.get(2)).hashCode()).isEqualTo(((Tuple) a.get(2)).hashCode());
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(Tuple.of(1L, Bytes.utf8("y"), Tuple.of("s", null)));
    Map<Object, String> m = new HashMap<>();
    m.put(a, "found");
    assertThat(m).containsEntry(b, "found");
  }

  @Test
  void aListInsideMakesEveryEnclosingTupleUnhashable() {
    Tuple inner = Tuple.of(1L, new ArrayList<>(List.of(2L)));
    Tuple outer = Tuple.of(Tuple.of(inner), "a");
    assertThat(outer.isHashable()).isFalse();
    assertThat(inner.isHashable()).isFalse();
    assertThat(Tuple.of(Tuple.of(1L), "a").isHashable()).isTrue();
    assertThat(PickleValues.isHashable(outer)).isFalse();
  }

  @Test
  void deepAndSharedNestingHashesWithoutRecursionOrBlowUp() {
    Tuple deep = Tuple.of(0L);
    for (int i = 0; i < 300_000; i++) {
      deep = Tuple.of(deep);
    }
    assertThat(deep.hashCode()).isEqualTo(deep.hashCode());
    assertThat(deep.isHashable()).isTrue();
    // each level refers twice to the one below: 2^60 leaves, 60 parts
    Tuple shared = Tuple.of(Bytes.utf8("leaf"));
    Tuple other = Tuple.of(Bytes.utf8("leaf"));
    for (int i = 0; i < 60; i++) {
      shared = Tuple.of(shared, shared);
      other = Tuple.of(other, other);
    }
    assertThat(shared.hashCode()).isEqualTo(other.hashCode());
    assertThat(shared).isEqualTo(other);
  }
}
