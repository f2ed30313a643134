package org.zbig.bigarray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.LongConsumer;
import org.zbig.client.Connection;
import org.zbig.client.PersistentMapping;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.zblk.ZBlkFormat;

/** ZBigArrays to and from {@code .npy} files, streamed: what {@code bin/zbig array} does. */
public final class ArrayFiles {
  /** Commit after this many bytes of a bulk copy, so that pages are freed as the copy goes. */
  public static final long CHECKPOINT = 64L << 20;

  private ArrayFiles() {}

  /**
   * The root key under which imports in progress keep their arrays (name to array) until their last
   * commit puts them under their own name: reachable, so that a pack meanwhile keeps their data,
   * and out of the user's names.
   */
  public static final String IMPORTS_IN_PROGRESS = "zbig.imports-in-progress";

  /**
   * Creates {@code root[name]} from a .npy file, all or nothing: the array is built under {@link
   * #IMPORTS_IN_PROGRESS}, its data committed in checkpoints, and only the last commit puts it
   * under {@code name}. A run that fails or is killed leaves {@code name} absent; importing it
   * again drops what the failed run wrote and starts over. {@code progress} gets the bytes copied
   * so far.
   *
   * @throws IllegalArgumentException if the name is taken or the file is not a .npy we read
   */
  public static ZBigArray importNpy(
      Connection c,
      String name,
      Path npy,
      ZBlkFormat format,
      VirtMem vm,
      long blksize,
      LongConsumer progress)
      throws IOException {
    return importNpy(c, name, npy, format, vm, blksize, progress, CHECKPOINT);
  }

  static ZBigArray importNpy(
      Connection c,
      String name,
      Path npy,
      ZBlkFormat format,
      VirtMem vm,
      long blksize,
      LongConsumer progress,
      long checkpoint)
      throws IOException {
    if (c.root().containsKey(name)) {
      throw new IllegalArgumentException("root['" + name + "'] exists already");
    }
    Npy.Header h = Npy.readHeader(npy);
    PersistentMapping pending =
        c.root().get(IMPORTS_IN_PROGRESS) instanceof PersistentMapping m ? m : null;
    if (pending == null) {
      pending = new PersistentMapping();
      c.root().put(IMPORTS_IN_PROGRESS, pending);
    }
    ZBigArray za =
        pending.get(name) instanceof ZBigArray z
                && Arrays.equals(z.shape(), h.shape())
                && z.dtype().equals(h.dtype())
                && z.order() == h.order()
                && z.zfile().blockSize() == blksize
            ? z // a run that did not finish: start over in its array
            : null;
    if (za == null) {
      za = new ZBigArray(h.shape(), h.dtype(), h.order(), blksize);
      pending.put(name, za);
    }
    za.zfile().setFormat(format);
    c.commit("import " + name + " (begins)");
    BigArray a = za.open(vm);
    za.zfile().truncate(0); // what a failed run wrote
    a.onCheckpoint(() -> c.commit("import " + name + " (in progress)"), checkpoint);
    Npy.read(npy, h, a, progress);
    pending.remove(name); // the commit point: the array appears under its name
    if (pending.size() == 0) {
      c.root().remove(IMPORTS_IN_PROGRESS);
    }
    c.root().put(name, za);
    c.commit("import " + name);
    return za;
  }

  /**
   * Appends the elements of a .npy file along the array's major axis, all or nothing: the new bytes
   * are committed in checkpoints past the array's shape, and only the last commit grows the shape.
   * A run that fails or is killed leaves the shape as it was; the next append drops what it wrote
   * past the end before it starts.
   *
   * @throws IllegalArgumentException if the file's type, order or other axes do not match
   */
  public static void appendNpy(
      Connection c, ZBigArray za, BigArray a, Path npy, LongConsumer progress) throws IOException {
    appendNpy(c, za, a, npy, progress, CHECKPOINT);
  }

  static void appendNpy(
      Connection c, ZBigArray za, BigArray a, Path npy, LongConsumer progress, long checkpoint)
      throws IOException {
    Npy.Header h = Npy.readHeader(npy);
    long[] old = za.shape();
    int major = za.majorAxis();
    boolean fits =
        h.dtype().equals(za.dtype()) && h.order() == za.order() && h.shape().length == old.length;
    for (int i = 0; fits && i < old.length; i++) {
      fits = i == major || h.shape()[i] == old[i];
    }
    if (!fits) {
      throw new IllegalArgumentException(
          npy
              + ": "
              + h.dtype()
              + " "
              + h.order()
              + " "
              + Arrays.toString(h.shape())
              + " (expected: "
              + za.dtype()
              + " "
              + za.order()
              + " with the other axes of "
              + Arrays.toString(old)
              + ")");
    }
    long oldBytes = a.nbytes();
    long[] grown = old.clone();
    grown[major] += h.shape()[major];
    za.zfile().truncate(oldBytes); // what a failed run left past the end
    a.resize(grown);
    try {
      a.onCheckpoint(() -> c.commit("append (in progress)"), checkpoint);
      Npy.copyBytes(npy, h.dataOffset(), oldBytes, h.nbytes(), a, progress);
    } catch (IOException | RuntimeException e) {
      a.resize(old); // the array's shape never changed
      throw e;
    }
    za.resize(grown); // the commit point
    c.commit("append");
  }

  /** Writes an array, or the view {@code index} of it (numpy syntax), to a .npy file. */
  public static void exportNpy(BigArray a, String index, Path out, LongConsumer progress)
      throws IOException {
    Npy.write(a, index, out, progress);
  }
}
