package org.zbig.bigarray;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zbig.client.ClassRegistry;
import org.zbig.client.Persistent;
import org.zbig.client.bigfile.ZBigFile;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code wendelin.bigarray.array_zodb.ZBigArray}: a persistent array whose elements live in a
 * {@link ZBigFile} (docs/formats.md §4.5). Its state is the 2-tuple {@code ({'_dtype', '_shape',
 * '_order', '_stridev'}, {'zfile': ZBigFile})}; a missing {@code _order} means 'C', shapes pickled
 * as numpy integers are read, and {@code _stridev} is written right.
 */
public final class ZBigArray extends Persistent {
  /** The Python class. */
  public static final String PYTHON_CLASS = "wendelin.bigarray.array_zodb.ZBigArray";

  private DType dtype;
  private long[] shape;
  private char order;
  private long[] stridev;
  private ZBigFile zfile;

  /** For the class registry. */
  public ZBigArray() {}

  /** A new array of zeros, its file of {@code blksize} blocks (2 MiB for Python's wendelin). */
  public ZBigArray(long[] shape, DType dtype, char order, long blksize) {
    NDArray.checkOrder(order);
    this.dtype = dtype;
    this.shape = shape.clone();
    this.order = order;
    this.stridev = Layout.stridesOf(shape, dtype.itemsize(), order);
    this.zfile = new ZBigFile(blksize);
  }

  /** Registers this class in a database's registry (call once per database). */
  public static void register(ClassRegistry registry) {
    registry.register(PYTHON_CLASS, ZBigArray.class, ZBigArray::new);
  }

  /** The element type. */
  public DType dtype() {
    readAccess();
    return dtype;
  }

  /** The shape. */
  public long[] shape() {
    readAccess();
    return shape.clone();
  }

  /** 'C' or 'F'. */
  public char order() {
    readAccess();
    return order;
  }

  /** The byte strides ({@code _stridev}). */
  public long[] stridev() {
    readAccess();
    return stridev.clone();
  }

  /** The file of the elements. */
  public ZBigFile zfile() {
    readAccess();
    return zfile;
  }

  /**
   * Changes the shape: the elements stay where they are in the file (growing along the major axis
   * keeps every element's place). Growing is O(1). Shrinking also drops the data past the new end,
   * as wendelin.core does since "remove stale data" ({@link ZBigFile#truncate}): its blocks leave
   * the file in this transaction (pack then frees them), and growing again shows zeros.
   *
   * @throws IllegalStateException if a view shows a block past the new end (nothing changes then)
   */
  public void resize(long... newShape) {
    writeAccess();
    if (newShape.length != shape.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(newShape) + " (expected: " + shape.length + " axes)");
    }
    for (long d : newShape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(newShape) + " (expected: every axis >= 0)");
      }
    }
    long oldBytes = nbytes(shape);
    long newBytes = nbytes(newShape);
    if (newBytes < oldBytes) {
      zfile.truncate(newBytes);
    }
    shape = newShape.clone();
    stridev = Layout.stridesOf(shape, dtype.itemsize(), order);
  }

  private long nbytes(long[] s) {
    long n = dtype.itemsize();
    for (long d : s) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The axis appends grow: 0 in C order, the last in F order. */
  public int majorAxis() {
    readAccess();
    return order == 'C' ? 0 : shape.length - 1;
  }

  /** Opens the array for reading and writing through {@code vm} (the array must be committed). */
  public BigArray open(VirtMem vm) {
    readAccess();
    return new BigArray(zfile.open(vm), zfile.blockSize(), shape, dtype, order);
  }

  @Override
  protected Object getState() {
    Map<Object, Object> d = new LinkedHashMap<>();
    d.put("_dtype", dtype.toPickle());
    d.put("_shape", longs(shape));
    d.put("_order", String.valueOf(order));
    d.put("_stridev", longs(stridev));
    Map<Object, Object> slots = new LinkedHashMap<>();
    slots.put("zfile", zfile);
    return Tuple.of(d, slots);
  }

  private static Tuple longs(long[] v) {
    Object[] o = new Object[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return Tuple.of(o);
  }

  @Override
  protected void setState(Object state) {
    try {
      Tuple t = (Tuple) state;
      Map<?, ?> d = (Map<?, ?>) t.get(0);
      Map<?, ?> slots = (Map<?, ?>) t.get(1);
      dtype = DType.fromPickle(d.get("_dtype"));
      shape = shapeOf(state);
      Object o = d.get("_order");
      order = o == null ? 'C' : ((String) o).charAt(0);
      stridev = ints(d.get("_stridev"));
      zfile = (ZBigFile) slots.get("zfile");
      if (zfile == null || shape.length != stridev.length) {
        throw new IllegalArgumentException("zfile or _stridev missing");
      }
    } catch (RuntimeException e) {
      throw new CorruptRecordException(oid(), serial(), "ZBigArray state: " + e.getMessage(), e);
    }
  }

  /**
   * The {@code _shape} in a ZBigArray's state (as {@link #setState} reads it), without making the
   * object: for the shapes of past revisions.
   *
   * @throws RuntimeException if the state is not a ZBigArray's
   */
  static long[] shapeOf(Object state) {
    return ints(((Map<?, ?>) ((Tuple) state).get(0)).get("_shape"));
  }

  /**
   * A tuple of ints, plain or numpy scalars ({@code numpy.core.multiarray.scalar(dtype, bytes)}).
   */
  private static long[] ints(Object v) {
    List<Object> items = v instanceof Tuple t ? t.items() : new ArrayList<>((List<?>) v);
    long[] out = new long[items.size()];
    for (int i = 0; i < out.length; i++) {
      Object x = items.get(i);
      if (x instanceof Long l) {
        out[i] = l;
      } else if (x instanceof PyObject p
          && p.args().size() == 2
          && p.args().get(1) instanceof Bytes b) {
        DType dt = DType.fromPickle(p.args().get(0));
        var seg = MemorySegment.ofArray(b.toByteArray());
        out[i] = new NDArray(seg, dt, new Layout(0, new long[0], new long[0])).readLong(0);
      } else {
        throw new IllegalArgumentException("not an int: " + x);
      }
    }
    return out;
  }

  @Override
  protected void clearState() {
    // kept loaded, like wendelin's LivePersistent
  }
}
