package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bulk operations of {@link NDArray} ({@code sum}, {@code fill}, {@code toDoubleArray}, both
 * {@code copyFrom} and {@code copyTo}), which work run by run, against element-by-element access
 * through indices on random views: 1 to 4 axes including axes of length 1 and 0, both orders, steps
 * of both signs, transposes, little- and big-endian types. A write must change exactly the view's
 * elements: the whole memory is compared with a twin written element by element. The seed is
 * printed; {@code -Dzbig.seed=N} replays a run.
 */
class BulkOperationsModelTest {
  private static final DType[] TYPES = {
    DType.FLOAT64,
    DType.scalar(">f8"),
    DType.FLOAT32,
    DType.INT32,
    DType.UINT8,
    DType.scalar(">i2"),
    DType.INT64
  };

  @Test
  void bulkOperationsAgreeWithElementAccess() {
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    System.out.println("bulkOperationsAgreeWithElementAccess: seed " + seed);
    try {
      run(seed, 400);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("bulk operations model test failed with seed " + seed, e);
    }
  }

  @Test
  void sumOfLongRunsIsExactAndAddsInTheOrderOfFourAccumulators() {
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    Random r = new Random(seed);
    // runs shorter and longer than the sum's slices (131,072 doubles), starting at an odd element,
    // with tails of every length modulo 4
    for (int n : new int[] {3, 4095, 4097, 8_194, 131_075, 270_001}) {
      try (Arena arena = Arena.ofConfined()) {
        NDArray all =
            NDArray.of(arena.allocate((n + 1) * 8L), DType.FLOAT64, new long[] {n + 1}, 'C');
        double exact = 0;
        for (int i = 0; i <= n; i++) {
          double v = r.nextInt(2001) / 2.0 - 500; // halves: every partial sum is exact
          all.setDouble(v, i);
          exact += i > 0 ? v : 0;
        }
        NDArray run = all.get(Index.slice(1L, n + 1L, 1L));
        assertThat(run.sum()).as("n %d, seed %d", n, seed).isEqualTo(exact);
        NDArray strided = all.get(Index.slice(1L, n + 1L, 2L));
        double everyOther = 0;
        for (int i = 1; i <= n; i += 2) {
          everyOther += all.getDouble(i);
        }
        assertThat(strided.sum()).as("n %d, seed %d", n, seed).isEqualTo(everyOther);
        // inexact values: a contiguous run adds in the order of a double[] summed with four
        // accumulators, across its slices
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
          values[i] = r.nextDouble() * 1e6 - 5e5;
          all.setDouble(values[i], i + 1);
        }
        assertThat(run.sum()).as("n %d, seed %d", n, seed).isEqualTo(sumOf4(values));
      }
    }
  }

  private static double sumOf4(double[] a) {
    double[] acc = new double[4];
    int i = 0;
    for (; i + 3 < a.length; i += 4) {
      for (int k = 0; k < 4; k++) {
        acc[k] += a[i + k];
      }
    }
    for (; i < a.length; i++) {
      acc[0] += a[i];
    }
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }

  private static void run(long seed, int cases) {
    Random r = new Random(seed);
    for (int c = 0; c < cases; c++) {
      int ndim = 1 + r.nextInt(4);
      long[] shape = new long[ndim];
      for (int i = 0; i < ndim; i++) {
        shape[i] = r.nextInt(12) == 0 ? 0 : r.nextInt(5) == 0 ? 1 : 1 + r.nextInt(9);
      }
      DType dt = TYPES[r.nextInt(TYPES.length)];
      char order = r.nextBoolean() ? 'C' : 'F';
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      try (Arena arena = Arena.ofConfined()) {
        long bytes = Math.max(1, n * dt.itemsize());
        MemorySegment mem = arena.allocate(bytes);
        MemorySegment twin = arena.allocate(bytes);
        NDArray base = NDArray.of(mem, dt, shape, order);
        NDArray baseTwin = NDArray.of(twin, dt, shape, order);
        List<Index> index = randomIndex(r, shape);
        int[] axes = r.nextInt(3) == 0 ? permutation(r, index) : null;
        NDArray view = viewOf(base, index, axes);
        NDArray viewTwin = viewOf(baseTwin, index, axes);
        List<long[]> at = indices(view.shape());

        // reads
        fillDistinct(base, dt);
        fillDistinct(baseTwin, dt);
        double[] expected = new double[at.size()];
        double sum = 0;
        for (int k = 0; k < expected.length; k++) {
          expected[k] = view.getDouble(at.get(k));
          sum += expected[k];
        }
        assertThat(view.toDoubleArray()).containsExactly(expected);
        double[] longer = new double[expected.length + 2];
        java.util.Arrays.fill(longer, -9);
        view.copyTo(longer);
        assertThat(java.util.Arrays.copyOf(longer, expected.length)).containsExactly(expected);
        assertThat(longer[expected.length]).isEqualTo(-9);
        if (expected.length > 0) {
          assertThatThrownBy(() -> view.copyTo(new double[expected.length - 1]))
              .hasMessageContaining(expected.length - 1 + " doubles for " + expected.length);
        }
        assertThat(view.sum()).isEqualTo(sum); // small integers and halves: exact in any order
        MemorySegment out = arena.allocate(Math.max(1, at.size() * (long) dt.itemsize()));
        view.copyTo(out);
        for (int k = 0; k < at.size(); k++) {
          NDArray one = NDArray.of(out.asSlice(k * (long) dt.itemsize()), dt, new long[0], 'C');
          assertThat(one.getDouble()).isEqualTo(expected[k]);
        }

        // writes: the same through indices on the twin, then every byte of both compared
        double[] values = new double[at.size()];
        for (int k = 0; k < values.length; k++) {
          values[k] = 1 + (k * 7 + c) % 100;
        }
        view.copyFrom(values);
        for (int k = 0; k < values.length; k++) {
          viewTwin.setDouble(values[k], at.get(k));
        }
        assertSame(mem, twin);
        double v = 3 + c % 50;
        view.fill(v);
        for (long[] i : at) {
          viewTwin.setDouble(v, i);
        }
        assertSame(mem, twin);
        MemorySegment src = arena.allocate(Math.max(1, at.size() * (long) dt.itemsize()));
        for (int k = 0; k < at.size(); k++) {
          NDArray one = NDArray.of(src.asSlice(k * (long) dt.itemsize()), dt, new long[0], 'C');
          one.setDouble(100 + k % 90);
          viewTwin.setDouble(100 + k % 90, at.get(k));
        }
        view.copyFrom(src);
        assertSame(mem, twin);
      }
    }
  }

  private static void fillDistinct(NDArray a, DType dt) {
    List<long[]> all = indices(a.shape());
    for (int k = 0; k < all.size(); k++) {
      a.setDouble(
          dt.kind() == 'u' ? k % 200 : k * 0.5 - 40 + (dt.kind() == 'f' ? 0 : k * 0.5), all.get(k));
    }
  }

  private static void assertSame(MemorySegment a, MemorySegment b) {
    assertThat(a.mismatch(b)).as("first byte where bulk and element writes differ").isEqualTo(-1);
  }

  private static List<Index> randomIndex(Random r, long[] shape) {
    List<Index> index = new ArrayList<>();
    for (long len : shape) {
      if (len > 1 && r.nextInt(5) == 0) {
        index.add(Index.at(r.nextInt((int) len)));
      } else {
        long[] steps = {1, 1, 1, 2, 3, -1, -2};
        long step = steps[r.nextInt(steps.length)];
        index.add(Index.slice(null, null, step));
      }
    }
    if (r.nextInt(6) == 0) {
      index.add(r.nextInt(index.size() + 1), new Index.NewAxis());
    }
    return index;
  }

  private static int[] permutation(Random r, List<Index> index) {
    int dims = 0;
    for (Index i : index) {
      if (!(i instanceof Index.At)) {
        dims++;
      }
    }
    List<Integer> p = new ArrayList<>();
    for (int i = 0; i < dims; i++) {
      p.add(i);
    }
    java.util.Collections.shuffle(p, r);
    return p.stream().mapToInt(Integer::intValue).toArray();
  }

  private static NDArray viewOf(NDArray base, List<Index> index, int[] axes) {
    NDArray v = base.get(index.toArray(Index[]::new));
    return axes == null || axes.length == 0 ? v : v.transpose(axes);
  }

  /** Every index of {@code shape} in C order. */
  private static List<long[]> indices(long[] shape) {
    List<long[]> out = new ArrayList<>();
    for (long d : shape) {
      if (d == 0) {
        return out;
      }
    }
    long[] idx = new long[shape.length];
    while (true) {
      out.add(idx.clone());
      int axis = shape.length - 1;
      while (axis >= 0 && ++idx[axis] == shape[axis]) {
        idx[axis] = 0;
        axis--;
      }
      if (axis < 0) {
        return out;
      }
    }
  }
}
