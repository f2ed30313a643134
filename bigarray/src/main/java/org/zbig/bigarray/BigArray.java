package org.zbig.bigarray;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;
import org.zbig.client.virtmem.VirtMem;

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

  private Runnable checkpoint = () -> {};
  private long checkpointBytes = Long.MAX_VALUE;
  private long sinceCheckpoint;
  private long writtenFrom = Long.MAX_VALUE; // the blocks bulk copies wrote since the checkpoint
  private long writtenTo = -1;

  /** The paged file of the elements. */
  public FileHandle file() {
    return file;
  }

  /** The block size of the file. */
  public long blockSize() {
    return blksize;
  }

  /** The bytes the elements take: itemsize times the number of elements. */
  public long nbytes() {
    long n = dtype.itemsize();
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /**
   * Runs {@code action} (typically a commit) after every {@code everyBytes} written by bulk copies,
   * so that imports bigger than the RAM budget free their pages as they go.
   */
  public void onCheckpoint(Runnable action, long everyBytes) {
    this.checkpoint = action;
    this.checkpointBytes = everyBytes;
  }

  /**
   * Called by bulk copies after each piece, with the blocks it wrote. After a checkpoint the blocks
   * written since the last one are committed and unchanged: in an array of more than half the RAM
   * budget, which cannot stay in RAM anyway, their pages are given back ({@link
   * FileHandle#dropBehind}), as {@link #forEachChunk} does, so that an import cycles through a few
   * warm slots. Filling the budget with fresh memory cost a 512 MiB import a second of its loaders'
   * CPU, first touches of new memory (docs/benchmarks.md).
   */
  void flushHint(long firstBlock, long lastBlock) {
    writtenFrom = Math.min(writtenFrom, firstBlock);
    writtenTo = Math.max(writtenTo, lastBlock);
    sinceCheckpoint += 1;
    if (sinceCheckpoint * (4L << 20) >= checkpointBytes) {
      sinceCheckpoint = 0;
      checkpoint.run();
      if (outgrowsRam()) {
        file.dropBehind(writtenFrom, writtenTo - writtenFrom + 1);
      }
      writtenFrom = Long.MAX_VALUE;
      writtenTo = -1;
    }
  }

  /**
   * Whether the array is more than half the RAM budget: it cannot stay in RAM for a second pass
   * anyway, so pages done with go back ({@link #flushHint}, {@link #forEachChunk}).
   */
  private boolean outgrowsRam() {
    VirtMem vm = file.virtMem();
    return nbytes() > vm.budgetPages() * vm.pageSize() / 2;
  }

  /**
   * Walks the array along its major axis in pieces of whole blocks' worth of rows (at least one
   * row), handing each piece's read-only view to {@code action} and the rows done so far to {@code
   * progress}: out-of-core reductions in bounded memory. While {@code action} works on one piece,
   * the next is {@linkplain #prefetch prefetched}, so at most two pieces are in RAM. An array of
   * more than half the RAM budget cannot stay in RAM for a second pass, so each piece's unchanged
   * pages are given back once {@code action} returns ({@link FileHandle#dropBehind}): the scan
   * cycles through a few warm slots and leaves the rest of the cache as it was.
   */
  public void forEachChunk(long maxBytes, Consumer<NDArray> action, LongConsumer progress) {
    if (shape.length == 0 || nbytes() == 0) {
      return;
    }
    int major = order == 'C' ? 0 : shape.length - 1;
    long rowBytes = nbytes() / shape[major];
    long rows = Math.max(1, Math.max(maxBytes, blksize) / Math.max(1, rowBytes));
    // each piece's pages go back once the action is done with them (a scan then reuses a few warm
    // slots)
    boolean dropBehind = outgrowsRam();
    for (long r = 0; r < shape[major]; r += rows) {
      long end = Math.min(shape[major], r + rows);
      List<Index> piece = rowsOf(major, r, end);
      try (View v = view(false, piece)) {
        if (end < shape[major]) {
          prefetch(rowsOf(major, end, Math.min(shape[major], end + rows))); // overlaps the work
        }
        action.accept(v.array());
      }
      if (dropBehind) {
        long[] pages = pagesOf(piece);
        file.dropBehind(pages[0], pages[1]); // one a prefetch still holds goes when it lets go
      }
      progress.accept(end);
    }
  }

  private List<Index> rowsOf(int major, long from, long to) {
    Index[] idx = new Index[shape.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i == major ? Index.slice(from, to, 1) : Index.all();
    }
    return List.of(idx);
  }

  /**
   * Starts loading the pages a view for {@code index} would map, in the background: a hint for the
   * next piece of a scan, so that its loads overlap with the work on the current one ({@link
   * FileHandle#prefetch}).
   *
   * @return completes when every page was tried
   */
  public CompletableFuture<Void> prefetch(List<Index> index) {
    long[] pages = pagesOf(index);
    return file.prefetch(pages[0], pages[1]);
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
    return view(writable, layoutOf(index));
  }

  /** The layout, over the file's bytes, of the view for {@code index}. */
  Layout layoutOf(List<Index> index) {
    return new Layout(0, shape.clone(), strides()).index(index);
  }

  /** A read-only view of the elements of {@code l} (a layout over the file's bytes). */
  View viewOf(Layout l) {
    return view(false, l);
  }

  private View view(boolean writable, Layout l) {
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
