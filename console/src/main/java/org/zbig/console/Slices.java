package org.zbig.console;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.Index;

/**
 * A slice of an array for a picture: numpy's basic indexing leaving one or two axes, reduced to at
 * most a given number of rows and columns by taking every k-th element (stride) or the mean of each
 * bin (mean). The array is read in bands, each a view of the rows it needs, so that a slice of a
 * big array maps only the blocks of one band at a time.
 */
final class Slices {
  private Slices() {}

  /** Bytes of the array one band reads at most (the mean reads every element). */
  static final long BAND_BYTES = 32L << 20;

  /** Blocks one band maps at most. */
  static final long MAX_BLOCKS = 16;

  /** How many bands ahead a stride reduction starts loading. */
  static final int PREFETCH = 8;

  /** Input a client sent that cannot be served: a 4xx with this message. */
  static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /**
   * One axis of the base array in the slice: a fixed index, or {@code count} elements from {@code
   * start} by {@code step}.
   */
  record Axis(boolean fixed, long start, long step, long count) {}

  /**
   * The axes of the slice {@code expr} of an array of {@code shape}.
   *
   * @throws BadRequest naming the index part and what is expected
   */
  static List<Axis> parse(long[] shape, String expr) {
    List<Index> items;
    try {
      items = Index.parse(expr);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(400, e.getMessage());
    }
    int consuming = 0;
    int ellipses = 0;
    for (Index i : items) {
      switch (i) {
        case Index.NewAxis n ->
            throw new BadRequest(
                400, "index '" + expr + "': newaxis (expected: ints, slices and ... only)");
        case Index.Ellipsis e -> ellipses++;
        default -> consuming++;
      }
    }
    if (ellipses > 1 || consuming > shape.length) {
      throw new BadRequest(
          400,
          "index '"
              + expr
              + "': "
              + (ellipses > 1 ? "two ellipses" : consuming + " indices")
              + " (expected: at most one ... and at most "
              + shape.length
              + " indices for shape "
              + Arrays.toString(shape)
              + ")");
    }
    List<Index> expanded = new ArrayList<>();
    for (Index i : items) {
      if (i instanceof Index.Ellipsis) {
        for (int k = 0; k < shape.length - consuming; k++) {
          expanded.add(new Index.Slice(null, null, 1));
        }
      } else {
        expanded.add(i);
      }
    }
    while (expanded.size() < shape.length) {
      expanded.add(new Index.Slice(null, null, 1));
    }
    List<Axis> axes = new ArrayList<>();
    for (int d = 0; d < shape.length; d++) {
      long n = shape[d];
      switch (expanded.get(d)) {
        case Index.At at -> {
          long k = at.i() < 0 ? at.i() + n : at.i();
          if (k < 0 || k >= n) {
            throw new BadRequest(
                400,
                "index "
                    + at.i()
                    + " is out of range for axis "
                    + d
                    + " of length "
                    + n
                    + " (expected: "
                    + -n
                    + " to "
                    + (n - 1)
                    + ")");
          }
          axes.add(new Axis(true, k, 1, 1));
        }
        case Index.Slice s -> axes.add(slice(s, n));
        default -> throw new IllegalStateException("unexpected index " + expanded.get(d));
      }
    }
    int dims = (int) axes.stream().filter(a -> !a.fixed()).count();
    if (dims < 1 || dims > 2) {
      throw new BadRequest(
          400,
          "index '"
              + expr
              + "' leaves "
              + dims
              + " axes of shape "
              + Arrays.toString(shape)
              + " (expected: 1 or 2; fix the others with integers, e.g. '0, :, :')");
    }
    return axes;
  }

  /** Python's slice semantics on an axis of length {@code n}. */
  private static Axis slice(Index.Slice s, long n) {
    long[] r = s.indices(n); // start, stop, step, length
    return new Axis(false, r[0], r[2], r[3]);
  }

  private static long ceilDiv(long a, long b) {
    return a <= 0 ? 0 : (a + b - 1) / b;
  }

  /** The lengths of the slice's axes (one or two). */
  static long[] shape(List<Axis> axes) {
    return axes.stream().filter(a -> !a.fixed()).mapToLong(Axis::count).toArray();
  }

  /**
   * The base index of the elements {@code [from[k], to[k])} by {@code mult[k]} of the slice's axis
   * {@code k}, for each of its axes.
   */
  static List<Index> band(List<Axis> axes, long[] from, long[] to, long[] mult) {
    List<Index> out = new ArrayList<>();
    int k = 0;
    for (Axis a : axes) {
      if (a.fixed()) {
        out.add(Index.at(a.start()));
        continue;
      }
      long first = a.start() + from[k] * a.step();
      long step = a.step() * mult[k];
      long count = ceilDiv(to[k] - from[k], mult[k]);
      long end = first + count * step;
      out.add(Index.slice(first, end < 0 ? null : end, step));
      k++;
    }
    return out;
  }

  /**
   * The slice reduced to at most {@code maxRows} x {@code maxCols} (a 1-D slice is one row).
   *
   * @param mean the mean of each bin, else every k-th element
   */
  static Grid reduce(BigArray a, List<Axis> axes, int maxRows, int maxCols, boolean mean) {
    long[] shape = shape(axes);
    boolean oneD = shape.length == 1;
    long rows = oneD ? 1 : shape[0];
    long cols = oneD ? shape[0] : shape[1];
    long rowStep = Math.max(1, ceilDiv(rows, maxRows));
    long colStep = Math.max(1, ceilDiv(cols, maxCols));
    int outRows = (int) (mean ? Math.min(rows, maxRows) : ceilDiv(rows, rowStep));
    int outCols = (int) (mean ? Math.min(cols, maxCols) : ceilDiv(cols, colStep));
    double[] values = new double[outRows * outCols];
    if (outRows == 0 || outCols == 0) {
      return new Grid(outRows, outCols, values, rowStep, colStep, shape);
    }
    long itemsize = a.dtype().itemsize();
    if (!mean) {
      // bands of output rows: each reads its rows at the row step, its columns at the column
      // step; a view maps every block between its first and last element, so a band is as many
      // rows as span at most MAX_BLOCKS blocks (one row a view when rows are a block apart)
      int band = outRows;
      while (band > 1
          && a.pagesOf(strideBand(axes, oneD, rows, cols, rowStep, colStep, 0, band, outRows))[1]
              > MAX_BLOCKS) {
        band = (band + 1) / 2;
      }
      int ahead = 0; // the band up to which loads were started
      for (int r0 = 0; r0 < outRows; r0 += band) {
        // the next bands' blocks load while this one is read (PREFETCH bands ahead)
        for (; ahead < outRows && ahead < r0 + PREFETCH * band; ahead += band) {
          if (ahead > r0) {
            a.prefetch(strideBand(axes, oneD, rows, cols, rowStep, colStep, ahead, band, outRows));
          }
        }
        double[] got =
            read(a, strideBand(axes, oneD, rows, cols, rowStep, colStep, r0, band, outRows));
        System.arraycopy(got, 0, values, r0 * outCols, got.length);
      }
      return new Grid(outRows, outCols, values, rowStep, colStep, shape);
    }
    // mean: every element, in bands of whole rows, summed into the bins
    double[] sums = new double[outRows * outCols];
    long[] counts = new long[outRows * outCols];
    int[] colBin = new int[(int) Math.min(cols, Integer.MAX_VALUE - 8)];
    for (int c = 0; c < colBin.length; c++) {
      colBin[c] = (int) ((long) c * outCols / cols);
    }
    long band = Math.max(1, BAND_BYTES / Math.max(1, cols * itemsize));
    for (long r0 = 0; r0 < rows; r0 += band) {
      long r1 = Math.min(rows, r0 + band);
      double[] got =
          read(a, band(axes, perAxis(oneD, r0, 0), perAxis(oneD, r1, cols), perAxis(oneD, 1, 1)));
      for (long r = r0; r < r1; r++) {
        int rb = (int) (r * outRows / rows);
        int base = (int) ((r - r0) * cols);
        for (int c = 0; c < cols; c++) {
          double v = got[base + c];
          if (!Double.isNaN(v)) {
            int i = rb * outCols + colBin[c];
            sums[i] += v;
            counts[i]++;
          }
        }
      }
    }
    for (int i = 0; i < values.length; i++) {
      values[i] = counts[i] == 0 ? Double.NaN : sums[i] / counts[i];
    }
    return new Grid(outRows, outCols, values, rowStep, colStep, shape);
  }

  /** The base index of output rows {@code [r0, r0 + band)} of a stride reduction. */
  private static List<Index> strideBand(
      List<Axis> axes,
      boolean oneD,
      long rows,
      long cols,
      long rowStep,
      long colStep,
      int r0,
      int band,
      int outRows) {
    int r1 = Math.min(outRows, r0 + band);
    return band(
        axes,
        perAxis(oneD, r0 * rowStep, 0),
        perAxis(oneD, Math.min(rows, r1 * rowStep), cols),
        perAxis(oneD, rowStep, colStep));
  }

  /** A row and column value for each axis of the slice: the column's alone for a 1-d slice. */
  private static long[] perAxis(boolean oneD, long row, long col) {
    return oneD ? new long[] {col} : new long[] {row, col};
  }

  /** The values of the view for {@code index}, row-major. */
  private static double[] read(BigArray a, List<Index> index) {
    try (BigArray.View v = a.view(false, index)) {
      return v.array().toDoubleArray();
    }
  }

  /**
   * A reduced slice: {@code rows} x {@code cols} values, row-major; a step of 1 means no reduction
   * along that axis.
   */
  record Grid(int rows, int cols, double[] values, long rowStep, long colStep, long[] sliceShape) {
    /** The smallest and largest values that are not NaN, or {0, 0} if there are none. */
    double[] range() {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (double v : values) {
        if (!Double.isNaN(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
      return lo > hi ? new double[] {0, 0} : new double[] {lo, hi};
    }
  }
}
