package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NDArray on plain memory: element types, views, copies and printing. */
class NDArrayTest {
  @Test
  void typesViewsCopiesAndPrinting() {
    try (Arena arena = Arena.ofConfined()) {
      NDArray a = NDArray.of(arena.allocate(6 * 8), DType.FLOAT64, new long[] {2, 3}, 'C');
      a.copyFrom(new double[] {1, 2, 3, 4, 5, 6});
      assertThat(a.toString()).isEqualTo("array([[1., 2., 3.], [4., 5., 6.]], dtype=<f8)");
      NDArray t = a.transpose();
      assertThat(t.shape()).containsExactly(3, 2);
      assertThat(t.strides()).containsExactly(8, 24);
      assertThat(t.toDoubleArray()).containsExactly(1, 4, 2, 5, 3, 6);
      assertThat(a.reshape(3, 2).getDouble(2, 1)).isEqualTo(6);
      assertThatThrownBy(() -> t.reshape(6)).hasMessageContaining("needs a copy"); // as numpy
      assertThatThrownBy(() -> a.get(":,::2").reshape(4)).hasMessageContaining("needs a copy");
      assertThatThrownBy(() -> a.reshape(5)).hasMessageContaining("cannot reshape array of size 6");
      assertThat(a.get("-1,::-1").toDoubleArray()).containsExactly(6, 5, 4);
      assertThat(a.getDouble(-1, -1)).isEqualTo(6);
      assertThatThrownBy(() -> a.getDouble(2, 0))
          .hasMessageContaining("index 2 is out of bounds for axis 0 with size 2");
      assertThatThrownBy(() -> a.get("0,0,0")).hasMessageContaining("too many indices");
      assertThatThrownBy(() -> Index.parse("[1,2]"))
          .hasMessageContaining("advanced indexing is not supported");
      MemorySegment out = arena.allocate(6 * 8);
      t.copyTo(out);
      assertThat(out.getAtIndex(ValueLayout.JAVA_DOUBLE, 1)).isEqualTo(4);
      assertThat(a.sum()).isEqualTo(21);
      // other types: float16, big-endian, unsigned 64-bit, complex, bool
      NDArray h = NDArray.of(arena.allocate(2), DType.FLOAT16, new long[] {1}, 'C');
      h.setDouble(1.5, 0);
      assertThat(h.getDouble(0)).isEqualTo(1.5);
      NDArray be = NDArray.of(arena.allocate(2), DType.scalar(">i2"), new long[] {1}, 'C');
      be.setLong(258, 0);
      assertThat(be.get(Index.all()).getLong(0)).isEqualTo(258);
      NDArray u = NDArray.of(arena.allocate(8), DType.UINT64, new long[] {1}, 'C');
      u.setLong(-1, 0);
      assertThat(u.getDouble(0)).isEqualTo(1.8446744073709552E19);
      NDArray c = NDArray.of(arena.allocate(16), DType.COMPLEX128, new long[] {1}, 'C');
      c.setDouble(2.5, 0);
      assertThat(c.getDouble(0)).isEqualTo(2.5);
      NDArray b = NDArray.of(arena.allocate(3), DType.BOOL, new long[] {3}, 'C');
      b.setLong(5, 1);
      assertThat(b.toString()).isEqualTo("array([False, True, False], dtype=|b1)");
      // structured: a field is a view
      DType rec = DType.struct(List.of(Map.entry("a", DType.INT32), Map.entry("b", DType.FLOAT64)));
      NDArray s = NDArray.of(arena.allocate(3 * 12), rec, new long[] {3}, 'C');
      s.field("a").copyFrom(new double[] {7, 8, 9});
      s.field("b").fill(0.25);
      assertThat(s.field("a").get("::-1").toDoubleArray()).containsExactly(9, 8, 7);
      assertThat(s.field("b").sum()).isEqualTo(0.75);
      assertThat(s.strides()).containsExactly(12);
      // a long axis prints summarized
      NDArray big = NDArray.of(arena.allocate(2000 * 4), DType.INT32, new long[] {2000}, 'C');
      assertThat(big.toString()).isEqualTo("array([0, 0, 0, ..., 0, 0, 0], dtype=<i4)");
      assertThatThrownBy(() -> NDArray.of(arena.allocate(8), DType.FLOAT64, new long[] {2}, 'C'))
          .isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> DType.scalar("x9")).hasMessageContaining("dtype: 'x9'");
    }
  }
}
