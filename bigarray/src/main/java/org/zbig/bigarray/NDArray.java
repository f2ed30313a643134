package org.zbig.bigarray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * A strided view of elements of a {@link DType} over a {@link MemorySegment}, as numpy's ndarray: a
 * byte offset, a shape and byte strides (negative allowed). Slicing returns another view of the
 * same memory without copying; views may exceed 2 GiB. Element indices may be negative, counting
 * from the end of their axis.
 */
public final class NDArray {
  private final MemorySegment memory;
  private final DType dtype;
  private final Layout layout;
  // element access goes through the constant layouts below, chosen by byte order: a layout held in
  // a field is not a constant to the JIT, and each access through it took 10-15 ns
  private final boolean be;
  private final char kind;
  private final int itemsize;
  private static final ValueLayout.OfDouble F8L = ValueLayout.JAVA_DOUBLE_UNALIGNED;
  private static final ValueLayout.OfFloat F4L = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final ValueLayout.OfShort I2L = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final ValueLayout.OfInt I4L = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong I8L = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfDouble F8B = F8L.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfFloat F4B = F4L.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfShort I2B = I2L.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfInt I4B = I4L.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfLong I8B = I8L.withOrder(ByteOrder.BIG_ENDIAN);

  NDArray(MemorySegment memory, DType dtype, Layout layout) {
    this.memory = memory;
    this.dtype = dtype;
    this.layout = layout;
    this.be = dtype.byteOrder() == ByteOrder.BIG_ENDIAN;
    this.kind = dtype.kind();
    this.itemsize = dtype.itemsize();
    if (layout.size() > 0) {
      long[] span = layout.span(dtype.itemsize());
      if (span[0] < 0 || span[1] > memory.byteSize()) {
        throw new IndexOutOfBoundsException(
            "view of bytes ["
                + span[0]
                + ", "
                + span[1]
                + ") over "
                + memory.byteSize()
                + " bytes of memory");
      }
    }
  }

  /**
   * A contiguous array over {@code memory}, elements laid out in {@code order} ('C' or 'F').
   *
   * @throws IndexOutOfBoundsException if the memory is too small
   */
  public static NDArray of(MemorySegment memory, DType dtype, long[] shape, char order) {
    checkOrder(order);
    return new NDArray(
        memory,
        dtype,
        new Layout(0, shape.clone(), Layout.stridesOf(shape, dtype.itemsize(), order)));
  }

  /**
   * A view with explicit byte {@code strides} starting at byte {@code offset}.
   *
   * @throws IndexOutOfBoundsException if it reaches outside the memory
   */
  public static NDArray of(
      MemorySegment memory, DType dtype, long offset, long[] shape, long[] strides) {
    if (shape.length != strides.length) {
      throw new IllegalArgumentException(
          "strides: " + strides.length + " (expected: one per axis, " + shape.length + ")");
    }
    return new NDArray(memory, dtype, new Layout(offset, shape.clone(), strides.clone()));
  }

  static void checkOrder(char order) {
    if (order != 'C' && order != 'F') {
      throw new IllegalArgumentException("order: '" + order + "' (expected: 'C' or 'F')");
    }
  }

  MemorySegment memory() {
    return memory;
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** The shape. */
  public long[] shape() {
    return layout.shape().clone();
  }

  /** The strides in bytes. */
  public long[] strides() {
    return layout.strides().clone();
  }

  /** The number of axes. */
  public int ndim() {
    return layout.shape().length;
  }

  /** The number of elements. */
  public long size() {
    return layout.size();
  }

  /** The view for numpy basic indexing, e.g. {@code get(Index.slice(10L, 20L, 1), Index.at(3))}. */
  public NDArray get(Index... index) {
    return new NDArray(memory, dtype, layout.index(List.of(index)));
  }

  /** The view for numpy's syntax, e.g. {@code "10:20,::-1,3"}. */
  public NDArray get(String expr) {
    return new NDArray(memory, dtype, layout.index(Index.parse(expr)));
  }

  /** The view of field {@code name} of a structured type (numpy's {@code a['name']}). */
  public NDArray field(String name) {
    DType.Field f = dtype.field(name);
    return new NDArray(
        memory,
        f.type(),
        new Layout(layout.offset() + f.offset(), layout.shape(), layout.strides()));
  }

  /** Copies every element's bytes, in C order, into {@code dst} (itemsize × size bytes). */
  public void copyTo(MemorySegment dst) {
    long size = itemsize;
    if (dst.byteSize() < size * size()) {
      throw new IndexOutOfBoundsException(
          dst.byteSize() + " bytes for " + size() + " elements of " + size);
    }
    long[] pos = {0};
    forEachRun((at, count, stride) -> {
      if (stride == size) {
        MemorySegment.copy(memory, at, dst, pos[0], count * size);
        pos[0] += count * size;
      } else {
        for (long j = 0; j < count; j++, pos[0] += size) {
          MemorySegment.copy(memory, at + j * stride, dst, pos[0], size);
        }
      }
    });
  }

  /** Sets every element, in C order, from the bytes of {@code src} (itemsize × size bytes). */
  public void copyFrom(MemorySegment src) {
    long size = itemsize;
    if (src.byteSize() < size * size()) {
      throw new IndexOutOfBoundsException(
          src.byteSize() + " bytes for " + size() + " elements of " + size);
    }
    long[] pos = {0};
    forEachRun((at, count, stride) -> {
      if (stride == size) {
        MemorySegment.copy(src, pos[0], memory, at, count * size);
        pos[0] += count * size;
      } else {
        for (long j = 0; j < count; j++, pos[0] += size) {
          MemorySegment.copy(src, pos[0], memory, at + j * stride, size);
        }
      }
    });
  }

  /** The view with its axes reversed (numpy's {@code .T}). */
  public NDArray transpose() {
    int n = ndim();
    int[] axes = new int[n];
    for (int i = 0; i < n; i++) {
      axes[i] = n - 1 - i;
    }
    return transpose(axes);
  }

  /** The view with its axes in the order {@code axes}. */
  public NDArray transpose(int... axes) {
    int n = ndim();
    if (axes.length != n || Arrays.stream(axes).sorted().toArray().length != n) {
      throw new IllegalArgumentException("axes " + Arrays.toString(axes) + " for " + n + " axes");
    }
    boolean[] seen = new boolean[n];
    long[] sh = new long[n];
    long[] st = new long[n];
    for (int i = 0; i < n; i++) {
      if (axes[i] < 0 || axes[i] >= n || seen[axes[i]]) {
        throw new IllegalArgumentException(
            "axes " + Arrays.toString(axes) + " (expected: a permutation of 0.." + (n - 1) + ")");
      }
      seen[axes[i]] = true;
      sh[i] = layout.shape()[axes[i]];
      st[i] = layout.strides()[axes[i]];
    }
    return new NDArray(memory, dtype, new Layout(layout.offset(), sh, st));
  }

  /**
   * The same elements with another shape, read in C order as numpy's {@code reshape} does, where
   * that needs no copy: the view is C-contiguous.
   *
   * @throws IllegalArgumentException if the sizes differ or a copy would be needed
   */
  public NDArray reshape(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != size()) {
      throw new IllegalArgumentException(
          "cannot reshape array of size " + size() + " into shape " + Arrays.toString(shape));
    }
    if (Arrays.equals(layout.strides(), Layout.stridesOf(layout.shape(), dtype.itemsize(), 'C'))) {
      return new NDArray(
          memory,
          dtype,
          new Layout(
              layout.offset(), shape.clone(), Layout.stridesOf(shape, dtype.itemsize(), 'C')));
    }
    throw new IllegalArgumentException("reshape of a view that is not C-contiguous needs a copy");
  }

  private long byteOffset(long[] index) {
    long[] shape = layout.shape();
    if (index.length != shape.length) {
      throw new IllegalArgumentException(
          index.length + " indices for an array of " + shape.length + " dimensions");
    }
    long off = layout.offset();
    for (int i = 0; i < index.length; i++) {
      long k = index[i] < 0 ? index[i] + shape[i] : index[i];
      if (k < 0 || k >= shape[i]) {
        throw new IndexOutOfBoundsException(
            "index " + index[i] + " is out of bounds for axis " + i + " with size " + shape[i]);
      }
      off += k * layout.strides()[i];
    }
    return off;
  }

  /** The element {@code i} of a one-axis array as a double (no index array: the fast path). */
  public double getDouble(long i) {
    long[] shape = layout.shape();
    if (shape.length != 1) {
      return getDouble(new long[] {i});
    }
    long k = i < 0 ? i + shape[0] : i;
    if (k < 0 || k >= shape[0]) {
      throw new IndexOutOfBoundsException(
          "index " + i + " is out of bounds for axis 0 with size " + shape[0]);
    }
    return readDouble(layout.offset() + k * layout.strides()[0]);
  }

  /** The element at {@code index} as a double (integers converted, bool as 0 or 1). */
  public double getDouble(long... index) {
    return readDouble(byteOffset(index));
  }

  /** Sets the element at {@code index} from a double (integers truncated). */
  public void setDouble(double v, long... index) {
    writeDouble(byteOffset(index), v);
  }

  /** The element at {@code index} as a long (floats truncated). */
  public long getLong(long... index) {
    return readLong(byteOffset(index));
  }

  /** Sets the element at {@code index} from a long. */
  public void setLong(long v, long... index) {
    writeLong(byteOffset(index), v);
  }

  private double f8(long at) {
    return be ? memory.get(F8B, at) : memory.get(F8L, at);
  }

  private float f4(long at) {
    return be ? memory.get(F4B, at) : memory.get(F4L, at);
  }

  private short i2(long at) {
    return be ? memory.get(I2B, at) : memory.get(I2L, at);
  }

  private int i4(long at) {
    return be ? memory.get(I4B, at) : memory.get(I4L, at);
  }

  private long i8(long at) {
    return be ? memory.get(I8B, at) : memory.get(I8L, at);
  }

  private void f8(long at, double v) {
    if (be) {
      memory.set(F8B, at, v);
    } else {
      memory.set(F8L, at, v);
    }
  }

  private void f4(long at, float v) {
    if (be) {
      memory.set(F4B, at, v);
    } else {
      memory.set(F4L, at, v);
    }
  }

  private void i2(long at, short v) {
    if (be) {
      memory.set(I2B, at, v);
    } else {
      memory.set(I2L, at, v);
    }
  }

  private void i4(long at, int v) {
    if (be) {
      memory.set(I4B, at, v);
    } else {
      memory.set(I4L, at, v);
    }
  }

  private void i8(long at, long v) {
    if (be) {
      memory.set(I8B, at, v);
    } else {
      memory.set(I8L, at, v);
    }
  }

  double readDouble(long at) {
    if (kind == 'f' && itemsize == 8) {
      return f8(at);
    }
    return switch (kind) {
      case 'f' -> itemsize == 4 ? f4(at) : Float.float16ToFloat(i2(at));
      case 'c' -> // the real part
          itemsize == 16 ? f8(at) : f4(at);
      case 'u' -> {
        long v = readLong(at);
        yield itemsize == 8 && v < 0 ? (double) (v >>> 1) * 2.0 + (v & 1) : v;
      }
      default -> readLong(at);
    };
  }

  long readLong(long at) {
    return switch (kind) {
      case 'b', 'u', 'i' -> {
        boolean signed = kind == 'i';
        yield switch (itemsize) {
          case 1 ->
              signed
                  ? memory.get(ValueLayout.JAVA_BYTE, at)
                  : memory.get(ValueLayout.JAVA_BYTE, at) & 0xff;
          case 2 -> {
            short s = i2(at);
            yield signed ? s : s & 0xffff;
          }
          case 4 -> {
            int i = i4(at);
            yield signed ? i : i & 0xffff_ffffL;
          }
          default -> i8(at);
        };
      }
      case 'f', 'c' -> (long) readDouble(at);
      default ->
          throw new UnsupportedOperationException("element access to " + dtype + " as a number");
    };
  }

  void writeDouble(long at, double v) {
    if (kind == 'f' && itemsize == 8) {
      f8(at, v);
      return;
    }
    switch (kind) {
      case 'f' -> {
        if (itemsize == 4) {
          f4(at, (float) v);
        } else {
          i2(at, Float.floatToFloat16((float) v));
        }
      }
      case 'c' -> {
        if (itemsize == 16) {
          f8(at, v);
          f8(at + 8, 0.0);
        } else {
          f4(at, (float) v);
          f4(at + 4, 0f);
        }
      }
      case 'b' -> memory.set(ValueLayout.JAVA_BYTE, at, (byte) (v != 0 ? 1 : 0));
      default -> writeLong(at, (long) v);
    }
  }

  void writeLong(long at, long v) {
    switch (kind) {
      case 'b' -> memory.set(ValueLayout.JAVA_BYTE, at, (byte) (v != 0 ? 1 : 0));
      case 'u', 'i' -> {
        switch (itemsize) {
          case 1 -> memory.set(ValueLayout.JAVA_BYTE, at, (byte) v);
          case 2 -> i2(at, (short) v);
          case 4 -> i4(at, (int) v);
          default -> i8(at, v);
        }
      }
      case 'f', 'c' -> writeDouble(at, (double) v);
      default ->
          throw new UnsupportedOperationException("element access to " + dtype + " as a number");
    }
  }

  private boolean isF8() {
    return kind == 'f' && itemsize == 8;
  }

  /** Every element, in C order, as doubles. */
  public double[] toDoubleArray() {
    long n = size();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(n + " elements do not fit a Java array");
    }
    double[] out = new double[(int) n];
    copyTo(out);
    return out;
  }

  /** Copies every element, in C order, as doubles into {@code dst} (at least size() long). */
  public void copyTo(double[] dst) {
    if (dst.length < size()) {
      throw new IllegalArgumentException(dst.length + " doubles for " + size() + " elements");
    }
    int[] k = {0};
    forEachRun((at, count, stride) -> {
      int c = (int) count;
      if (isF8() && stride == 8) {
        MemorySegment.copy(memory, be ? F8B : F8L, at, dst, k[0], c);
      } else {
        for (int j = 0; j < c; j++) {
          dst[k[0] + j] = readDouble(at + j * stride);
        }
      }
      k[0] += c;
    });
  }

  /** Sets every element, in C order, from {@code values}. */
  public void copyFrom(double[] values) {
    if (values.length != size()) {
      throw new IllegalArgumentException(values.length + " values for " + size() + " elements");
    }
    int[] k = {0};
    forEachRun((at, count, stride) -> {
      int c = (int) count;
      if (isF8() && stride == 8) {
        MemorySegment.copy(values, k[0], memory, be ? F8B : F8L, at, c);
      } else {
        for (int j = 0; j < c; j++) {
          writeDouble(at + j * stride, values[k[0] + j]);
        }
      }
      k[0] += c;
    });
  }

  private static final int FILL = 512; // doubles copied at a time by fill

  /** Sets every element to {@code v}. */
  public void fill(double v) {
    if (isF8()) {
      double[] pattern = new double[FILL];
      Arrays.fill(pattern, v);
      forEachRun((at, count, stride) -> {
        if (stride == 8) {
          for (long j = 0; j < count; j += FILL) {
            int c = (int) Math.min(FILL, count - j);
            MemorySegment.copy(pattern, 0, memory, be ? F8B : F8L, at + j * 8, c);
          }
        } else {
          for (long j = 0; j < count; j++) {
            f8(at + j * stride, v);
          }
        }
      });
      return;
    }
    forEachOffset(at -> writeDouble(at, v));
  }

  private static final long SLICE = 1 << 17; // doubles: 1 MiB

  /**
   * Adds {@code count} little-endian doubles from byte {@code at} of {@code m} into {@code acc},
   * four accumulators in turn (slices are a multiple of four elements, so the order of additions is
   * a double[]'s summed with four accumulators).
   *
   * <p>A method of its own, called per slice: the JIT compiles its long-indexed loop with the
   * bounds and liveness checks out of it whatever else the process ran first. The same loop written
   * in {@link #sum}'s lambda ran at 93% of a double[] sum alone but 47% after the scan of
   * BigArrayBenchmark; int-indexed slices read with {@code getAtIndex} ran at 60-66%, the element
   * alignment check not inlined (docs/benchmarks.md, bulk operations).
   */
  private static void sumContiguous(MemorySegment m, long at, long count, double[] acc) {
    double a0 = acc[0];
    double a1 = acc[1];
    double a2 = acc[2];
    double a3 = acc[3];
    long j = 0;
    for (; j + 3 < count; j += 4) {
      long b = at + j * 8;
      a0 += m.get(F8L, b);
      a1 += m.get(F8L, b + 8);
      a2 += m.get(F8L, b + 16);
      a3 += m.get(F8L, b + 24);
    }
    for (; j < count; j++) {
      a0 += m.get(F8L, at + j * 8);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
  }

  /** The sum of all elements as doubles. */
  public double sum() {
    if (isF8() && !be) {
      // little-endian doubles, run by run, a contiguous run with four accumulators
      double[] acc = new double[4];
      forEachRun((at, count, stride) -> {
        if (stride == 8) {
          for (long done = 0; done < count; done += SLICE) {
            sumContiguous(memory, at + done * 8, Math.min(SLICE, count - done), acc);
          }
        } else {
          double a0 = acc[0];
          for (long j = 0; j < count; j++) {
            a0 += memory.get(F8L, at + j * stride);
          }
          acc[0] = a0;
        }
      });
      return (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }
    double[] s = {0};
    forEachRun((at, count, stride) -> {
      double a = s[0];
      for (long j = 0; j < count; j++) {
        a += readDouble(at + j * stride);
      }
      s[0] = a;
    });
    return s[0];
  }

  /** A run of {@code count} elements from byte offset {@code at}, {@code stride} bytes apart. */
  @FunctionalInterface
  interface RunAction {
    void run(long at, long count, long stride);
  }

  /**
   * The elements in C order as runs along the innermost axis, after dropping axes of length 1 and
   * merging each axis into the next where the two are one evenly strided axis (a contiguous array
   * is one run): bulk operations work run by run instead of element by element.
   */
  void forEachRun(RunAction action) {
    if (layout.size() == 0) {
      return;
    }
    long[] shape = layout.shape();
    long[] strides = layout.strides();
    long[] len = new long[shape.length + 1];
    long[] st = new long[shape.length + 1];
    int n = 0; // merged axes, innermost first
    for (int axis = shape.length - 1; axis >= 0; axis--) {
      if (shape[axis] == 1) {
        continue;
      }
      if (n > 0 && strides[axis] == st[n - 1] * len[n - 1]) {
        len[n - 1] *= shape[axis];
      } else {
        len[n] = shape[axis];
        st[n] = strides[axis];
        n++;
      }
    }
    if (n == 0) { // one element
      len[0] = 1;
      st[0] = itemsize;
      n = 1;
    }
    long count = len[0];
    long stride = st[0];
    long[] idx = new long[n];
    long at = layout.offset();
    while (true) {
      action.run(at, count, stride);
      int axis = 1;
      while (axis < n) {
        idx[axis]++;
        at += st[axis];
        if (idx[axis] < len[axis]) {
          break;
        }
        at -= st[axis] * len[axis];
        idx[axis] = 0;
        axis++;
      }
      if (axis >= n) {
        return;
      }
    }
  }

  /** The byte offset of every element, in C order. */
  void forEachOffset(LongConsumer action) {
    long[] shape = layout.shape();
    long[] strides = layout.strides();
    if (layout.size() == 0) {
      return;
    }
    int n = shape.length;
    long[] idx = new long[n];
    long at = layout.offset();
    while (true) {
      action.accept(at);
      int axis = n - 1;
      while (axis >= 0) {
        idx[axis]++;
        at += strides[axis];
        if (idx[axis] < shape[axis]) {
          break;
        }
        at -= strides[axis] * shape[axis];
        idx[axis] = 0;
        axis--;
      }
      if (axis < 0) {
        return;
      }
    }
  }

  /** numpy-like: {@code array([[1., 2.], [3., 4.]], dtype=<f8)}, long axes summarized. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("array(");
    append(sb, layout.offset(), 0);
    return sb.append(", dtype=").append(dtype).append(')').toString();
  }

  private void append(StringBuilder sb, long at, int axis) {
    long[] shape = layout.shape();
    if (axis == shape.length) {
      if (dtype.kind() == 'f' || dtype.kind() == 'c') {
        double v = readDouble(at);
        sb.append(v == Math.rint(v) && Math.abs(v) < 1e16 ? ((long) v) + "." : String.valueOf(v));
      } else if (dtype.kind() == 'b') {
        sb.append(readLong(at) != 0 ? "True" : "False");
      } else if (dtype.kind() == 'V') {
        sb.append("<").append(dtype.itemsize()).append(" bytes>");
      } else {
        sb.append(readLong(at));
      }
      return;
    }
    sb.append('[');
    long n = shape[axis];
    boolean summarize = size() > 1000 && n > 6;
    boolean first = true;
    for (long i = 0; i < n; i++) {
      if (summarize && i == 3) {
        sb.append(", ...");
        i = n - 3;
      }
      if (!first) {
        sb.append(", ");
      }
      first = false;
      append(sb, at + i * layout.strides()[axis], axis + 1);
    }
    sb.append(']');
  }
}
