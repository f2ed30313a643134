package org.zbig.bigarray;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;

/**
 * An array of {@code shape} elements of a {@link DType}, in C or F order, over the blocks of a
 * paged file, read and written through views. A view maps only the pages its elements touch: the
 * byte range {@code [lowest, highest + itemsize)} of the indexed layout, computed for either sign
 * of every stride, so an element that straddles a page edge brings both pages and an empty view
 * maps nothing.
 */
public final class BigArray {
  private final FileHandle file;
  private final long blksize;
  private final DType dtype;
  private final char order;
  private long[] shape;

  /** An array over {@code file} (blocks of {@code blksize} bytes). */
  public BigArray(FileHandle file, long blksize, long[] shape, DType dtype, char order) {
    NDArray.checkOrder(order);
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " (expected: >= 0)");
      }
    }
    this.file = file;
    this.blksize = blksize;
    this.dtype = dtype;
    this.order = order;
    this.shape = shape.clone();
  }

  /** The shape. */
  public long[] shape() {
    return shape.clone();
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** The order, 'C' or 'F'. */
  public char order() {
    return order;
  }

  /** The byte strides of the whole array ({@code _stridev}). */
  public long[] strides() {
    return Layout.stridesOf(shape, dtype.itemsize(), order);
  }

  /** Changes the shape (only the description: O(1)); views already taken keep theirs. */
  public void resize(long... newShape) {
    this.shape = newShape.clone();
  }

  /** An open view: its array, and the mapping it lives in, closed with the view. */
  public static final class View implements AutoCloseable {
    private final NDArray array;
    private final Mapping mapping;

    View(NDArray array, Mapping mapping) {
      this.array = array;
      this.mapping = mapping;
    }

    /** The elements. */
    public NDArray array() {
      return array;
    }

    /** The pages mapped, or null for an empty view. */
    public Mapping mapping() {
      return mapping;
    }

    @Override
    public void close() {
      if (mapping != null) {
        mapping.close();
      }
    }
  }

  /** A read-only view for numpy's syntax, e.g. {@code "10:20,::-1,3"}. */
  public View view(String expr) {
    return view(false, Index.parse(expr));
  }

  /** A view for numpy basic indexing; {@code writable} views store their changes at commit. */
  public View view(boolean writable, Index... index) {
    return view(writable, List.of(index));
  }

  /** As {@link #view(boolean, Index...)}. */
  public View view(boolean writable, List<Index> index) {
    Layout full = new Layout(0, shape.clone(), strides());
    Layout l = full.index(index);
    if (l.size() == 0) {
      return new View(new NDArray(MemorySegment.NULL, dtype, l), null);
    }
    long[] span = l.span(dtype.itemsize());
    long firstBlock = span[0] / blksize;
    long lastBlock = (span[1] - 1) / blksize;
    Mapping m = file.map(firstBlock, lastBlock - firstBlock + 1, writable);
    try {
      Layout shifted = new Layout(l.offset() - firstBlock * blksize, l.shape(), l.strides());
      return new View(new NDArray(m.segment(), dtype, shifted), m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The pages a view for {@code index} maps, as {first block, count}; {0, 0} for none. */
  public long[] pagesOf(List<Index> index) {
    Layout l = new Layout(0, shape.clone(), strides()).index(index);
    if (l.size() == 0) {
      return new long[] {0, 0};
    }
    long[] span = l.span(dtype.itemsize());
    long first = span[0] / blksize;
    return new long[] {first, (span[1] - 1) / blksize - first + 1};
  }
}
