package org.zbig.bigarray;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the elements of a strided view are: a byte offset, a shape and byte strides (negative
 * allowed). Indexing maps one layout to another without touching memory.
 *
 * @param offset the byte offset of element (0, ..., 0)
 * @param shape the length of each axis
 * @param strides the bytes between neighbours along each axis
 */
record Layout(long offset, long[] shape, long[] strides) {
  static long[] stridesOf(long[] shape, long itemsize, char order) {
    long[] st = new long[shape.length];
    long s = itemsize;
    if (order == 'C') {
      for (int i = shape.length - 1; i >= 0; i--) {
        st[i] = s;
        s *= shape[i];
      }
    } else {
      for (int i = 0; i < shape.length; i++) {
        st[i] = s;
        s *= shape[i];
      }
    }
    return st;
  }

  long size() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** The lowest byte touched, and one past the highest, for elements of {@code itemsize}. */
  long[] span(long itemsize) {
    long lo = offset;
    long hi = offset;
    for (int i = 0; i < shape.length; i++) {
      long extent = (shape[i] - 1) * strides[i];
      if (extent < 0) {
        lo += extent;
      } else {
        hi += extent;
      }
    }
    return new long[] {lo, hi + itemsize};
  }

  /** numpy basic indexing. */
  Layout index(List<Index> items) {
    int ellipses = 0;
    int consuming = 0;
    for (Index i : items) {
      switch (i) {
        case Index.Ellipsis e -> ellipses++;
        case Index.NewAxis n -> {}
        default -> consuming++;
      }
    }
    if (ellipses > 1) {
      throw new IllegalArgumentException("an index can only have a single ellipsis ('...')");
    }
    if (consuming > shape.length) {
      throw new IllegalArgumentException(
          "too many indices: " + consuming + " for an array of " + shape.length + " dimensions");
    }
    List<Index> expanded = new ArrayList<>();
    for (Index i : items) {
      if (i instanceof Index.Ellipsis) {
        for (int k = 0; k < shape.length - consuming; k++) {
          expanded.add(Index.all());
        }
      } else {
        expanded.add(i);
      }
    }
    if (ellipses == 0) {
      for (int k = consuming; k < shape.length; k++) {
        expanded.add(Index.all());
      }
    }
    long off = offset;
    List<long[]> dims = new ArrayList<>(); // {length, stride}
    int axis = 0;
    for (Index i : expanded) {
      switch (i) {
        case Index.NewAxis n -> dims.add(new long[] {1, 0});
        case Index.At at -> {
          long n = shape[axis];
          long k = at.i() < 0 ? at.i() + n : at.i();
          if (k < 0 || k >= n) {
            throw new IndexOutOfBoundsException(
                "index " + at.i() + " is out of bounds for axis " + axis + " with size " + n);
          }
          off += k * strides[axis];
          axis++;
        }
        case Index.Slice s -> {
          long n = shape[axis];
          long[] r = indices(s, n);
          long len = r[3];
          if (len > 0) {
            off += r[0] * strides[axis];
          }
          dims.add(new long[] {len, strides[axis] * r[2]});
          axis++;
        }
        case Index.Ellipsis e -> throw new IllegalStateException("expanded above");
      }
    }
    long[] sh = new long[dims.size()];
    long[] st = new long[dims.size()];
    for (int k = 0; k < sh.length; k++) {
      sh[k] = dims.get(k)[0];
      st[k] = dims.get(k)[1];
    }
    return new Layout(off, sh, st);
  }

  /** Python's {@code slice.indices(n)}: start, stop, step, and the length. */
  static long[] indices(Index.Slice s, long n) {
    long step = s.step();
    long start;
    long stop;
    if (step > 0) {
      start = s.start() == null ? 0 : clamp(s.start() < 0 ? s.start() + n : s.start(), 0, n);
      stop = s.stop() == null ? n : clamp(s.stop() < 0 ? s.stop() + n : s.stop(), 0, n);
    } else {
      start =
          s.start() == null ? n - 1 : clamp(s.start() < 0 ? s.start() + n : s.start(), -1, n - 1);
      stop = s.stop() == null ? -1 : clamp(s.stop() < 0 ? s.stop() + n : s.stop(), -1, n - 1);
    }
    long len;
    if (step > 0) {
      len = stop > start ? (stop - start + step - 1) / step : 0;
    } else {
      len = start > stop ? (start - stop - step - 1) / (-step) : 0;
    }
    return new long[] {start, stop, step, len};
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
