package org.zbig.bigarray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.LongConsumer;
import org.zbig.client.Connection;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.zblk.ZBlkFormat;

/** ZBigArrays to and from {@code .npy} files, streamed: what {@code bin/zbig array} does. */
public final class ArrayFiles {
  /** Commit after this many bytes of a bulk copy, so that pages are freed as the copy goes. */
  public static final long CHECKPOINT = 64L << 20;

  private ArrayFiles() {}

  /**
   * Creates {@code root[name]} from a .npy file, committing as it goes; {@code progress} gets the
   * bytes copied so far.
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
    if (c.root().containsKey(name)) {
      throw new IllegalArgumentException("root['" + name + "'] exists already");
    }
    Npy.Header h = Npy.readHeader(npy);
    ZBigArray za = new ZBigArray(h.shape(), h.dtype(), h.order(), blksize);
    za.zfile().setFormat(format);
    c.root().put(name, za);
    c.commit("create " + name);
    BigArray a = za.open(vm);
    a.onCheckpoint(() -> c.commit("import " + name), CHECKPOINT);
    Npy.read(npy, h, a, progress);
    c.commit("import " + name);
    return za;
  }

  /**
   * Appends the elements of a .npy file along the array's major axis: the shape grows in O(1), then
   * only the new bytes are copied; if the copy fails the shape is put back.
   *
   * @throws IllegalArgumentException if the file's type, order or other axes do not match
   */
  public static void appendNpy(
      Connection c, ZBigArray za, BigArray a, Path npy, LongConsumer progress) throws IOException {
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
    za.resize(grown);
    a.resize(grown);
    try {
      a.onCheckpoint(() -> c.commit("append"), CHECKPOINT);
      Npy.copyBytes(npy, h.dataOffset(), oldBytes, h.nbytes(), a, progress);
    } catch (IOException | RuntimeException e) {
      za.resize(old); // roll the resize back
      a.resize(old);
      throw e;
    }
    c.commit("append");
  }

  /** Writes an array, or the view {@code index} of it (numpy syntax), to a .npy file. */
  public static void exportNpy(BigArray a, String index, Path out, LongConsumer progress)
      throws IOException {
    Npy.write(a, index, out, progress);
  }
}
