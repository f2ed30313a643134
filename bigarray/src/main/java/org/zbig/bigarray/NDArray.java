package org.zbig.bigarray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

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
  // the element layouts in the type's byte order, made once: element access allocates nothing
  private final ValueLayout.OfDouble f8;
  private final ValueLayout.OfFloat f4;
  private final ValueLayout.OfShort i2;
  private final ValueLayout.OfInt i4;
  private final ValueLayout.OfLong i8;

  NDArray(MemorySegment memory, DType dtype, Layout layout) {
    this.memory = memory;
    this.dtype = dtype;
    this.layout = layout;
    java.nio.ByteOrder bo = dtype.byteOrder();
    this.f8 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(bo);
    this.f4 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(bo);
    this.i2 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(bo);
    this.i4 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(bo);
    this.i8 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(bo);
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
    long size = dtype.itemsize();
    if (dst.byteSize() < size * size()) {
      throw new IndexOutOfBoundsException(
          dst.byteSize() + " bytes for " + size() + " elements of " + size);
    }
    long[] at = {0};
    forEachOffset(off -> {
      MemorySegment.copy(memory, off, dst, at[0], size);
      at[0] += size;
    });
  }

  /** Sets every element, in C order, from the bytes of {@code src} (itemsize × size bytes). */
  public void copyFrom(MemorySegment src) {
    long size = dtype.itemsize();
    if (src.byteSize() < size * size()) {
      throw new IndexOutOfBoundsException(
          src.byteSize() + " bytes for " + size() + " elements of " + size);
    }
    long[] at = {0};
    forEachOffset(off -> {
      MemorySegment.copy(src, at[0], memory, off, size);
      at[0] += size;
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

  double readDouble(long at) {
    return switch (dtype.kind()) {
      case 'f' ->
          switch (dtype.itemsize()) {
            case 8 -> memory.get(f8, at);
            case 4 -> memory.get(f4, at);
            default -> Float.float16ToFloat(memory.get(i2, at));
          };
      case 'c' -> // the real part
          dtype.itemsize() == 16 ? memory.get(f8, at) : memory.get(f4, at);
      case 'u' -> {
        long v = readLong(at);
        yield dtype.itemsize() == 8 && v < 0 ? (double) (v >>> 1) * 2.0 + (v & 1) : v;
      }
      default -> readLong(at);
    };
  }

  long readLong(long at) {
    return switch (dtype.kind()) {
      case 'b', 'u', 'i' -> {
        boolean signed = dtype.kind() == 'i';
        yield switch (dtype.itemsize()) {
          case 1 ->
              signed
                  ? memory.get(ValueLayout.JAVA_BYTE, at)
                  : memory.get(ValueLayout.JAVA_BYTE, at) & 0xff;
          case 2 -> {
            short s = memory.get(i2, at);
            yield signed ? s : s & 0xffff;
          }
          case 4 -> {
            int i = memory.get(i4, at);
            yield signed ? i : i & 0xffff_ffffL;
          }
          default -> memory.get(i8, at);
        };
      }
      case 'f', 'c' -> (long) readDouble(at);
      default ->
          throw new UnsupportedOperationException("element access to " + dtype + " as a number");
    };
  }

  void writeDouble(long at, double v) {
    switch (dtype.kind()) {
      case 'f' -> {
        switch (dtype.itemsize()) {
          case 8 -> memory.set(f8, at, v);
          case 4 -> memory.set(f4, at, (float) v);
          default -> memory.set(i2, at, Float.floatToFloat16((float) v));
        }
      }
      case 'c' -> {
        if (dtype.itemsize() == 16) {
          memory.set(f8, at, v);
          memory.set(f8, at + 8, 0.0);
        } else {
          memory.set(f4, at, (float) v);
          memory.set(f4, at + 4, 0f);
        }
      }
      case 'b' -> memory.set(ValueLayout.JAVA_BYTE, at, (byte) (v != 0 ? 1 : 0));
      default -> writeLong(at, (long) v);
    }
  }

  void writeLong(long at, long v) {
    switch (dtype.kind()) {
      case 'b' -> memory.set(ValueLayout.JAVA_BYTE, at, (byte) (v != 0 ? 1 : 0));
      case 'u', 'i' -> {
        switch (dtype.itemsize()) {
          case 1 -> memory.set(ValueLayout.JAVA_BYTE, at, (byte) v);
          case 2 -> memory.set(i2, at, (short) v);
          case 4 -> memory.set(i4, at, (int) v);
          default -> memory.set(i8, at, v);
        }
      }
      case 'f', 'c' -> writeDouble(at, v);
      default ->
          throw new UnsupportedOperationException("element access to " + dtype + " as a number");
    }
  }

  /** Every element, in C order, as doubles. */
  public double[] toDoubleArray() {
    long n = size();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(n + " elements do not fit a Java array");
    }
    double[] out = new double[(int) n];
    int[] k = {0};
    forEachOffset(at -> out[k[0]++] = readDouble(at));
    return out;
  }

  /** Sets every element, in C order, from {@code values}. */
  public void copyFrom(double[] values) {
    if (values.length != size()) {
      throw new IllegalArgumentException(values.length + " values for " + size() + " elements");
    }
    int[] k = {0};
    forEachOffset(at -> writeDouble(at, values[k[0]++]));
  }

  /** Sets every element to {@code v}. */
  public void fill(double v) {
    forEachOffset(at -> writeDouble(at, v));
  }

  private static final int SLICE = 1 << 17; // doubles: 1 MiB

  /** The sum of all elements as doubles. */
  public double sum() {
    if (dtype.equals(DType.FLOAT64)
        && Arrays.equals(layout.strides(), Layout.stridesOf(layout.shape(), 8, 'C'))) {
      // contiguous little-endian doubles: one pass over the memory
      // in slices of int-indexed loops, which the JIT unrolls without per-element long maths
      long n = size();
      long base = layout.offset();
      double acc0 = 0;
      double acc1 = 0;
      double acc2 = 0;
      double acc3 = 0;
      for (long done = 0; done < n; ) {
        int k = (int) Math.min(n - done, SLICE);
        MemorySegment s = memory.asSlice(base + done * 8, k * 8L);
        int i = 0;
        for (; i + 3 < k; i += 4) {
          acc0 += s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
          acc1 += s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i + 1);
          acc2 += s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i + 2);
          acc3 += s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i + 3);
        }
        for (; i < k; i++) {
          acc0 += s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
        }
        done += k;
      }
      return (acc0 + acc1) + (acc2 + acc3);
    }
    double[] s = {0};
    forEachOffset(at -> s[0] += readDouble(at));
    return s[0];
  }

  /** The byte offset of every element, in C order. */
  void forEachOffset(java.util.function.LongConsumer action) {
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
