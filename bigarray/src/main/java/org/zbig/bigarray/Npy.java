package org.zbig.bigarray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * numpy's {@code .npy} files: versions 1 to 3 read, 1 and 2 written (2 only when the header needs
 * it). Data is streamed in bounded pieces, so files bigger than RAM go in and out of arrays.
 *
 * <pre>
 *   "\x93NUMPY" major minor | header length (u16 LE in v1, u32 LE in v2/v3) | header | data
 *   header: {'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and
 *   a final '\n' so that the data starts at a multiple of 64
 * </pre>
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int PIECE = 4 << 20;

  private Npy() {}

  /**
   * What a {@code .npy} file holds.
   *
   * @param dtype the element type
   * @param fortranOrder whether the data is in F order
   * @param shape the shape
   * @param dataOffset where the data starts in the file
   */
  public record Header(DType dtype, boolean fortranOrder, long[] shape, long dataOffset) {
    /** The number of data bytes. */
    public long nbytes() {
      long n = dtype.itemsize();
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    /** 'C' or 'F'. */
    public char order() {
      return fortranOrder ? 'F' : 'C';
    }
  }

  /**
   * Reads the header of {@code file}.
   *
   * @throws IllegalArgumentException naming the file and what is wrong if it is not a .npy file of
   *     a supported type
   */
  public static Header readHeader(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(pre, 0);
      pre.flip();
      byte[] magic = new byte[6];
      if (pre.remaining() < 10) {
        throw bad(file, "too short for a .npy header");
      }
      pre.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw bad(file, "no \\x93NUMPY magic");
      }
      int major = pre.get() & 0xff;
      pre.get(); // minor
      long len;
      int start;
      if (major == 1) {
        len = pre.getShort() & 0xffff;
        start = 10;
      } else if (major == 2 || major == 3) {
        if (pre.remaining() < 4) {
          throw bad(file, "truncated header length");
        }
        len = pre.getInt() & 0xffff_ffffL;
        start = 12;
      } else {
        throw bad(file, "format version " + major + " (expected: 1, 2 or 3)");
      }
      if (len > (64 << 20)) {
        throw bad(file, "header of " + len + " bytes");
      }
      ByteBuffer h = ByteBuffer.allocate((int) len);
      ch.read(h, start);
      String header =
          new String(
              h.array(),
              0,
              h.position(),
              major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
      return parse(file, header, start + len, ch.size());
    }
  }

  private static IllegalArgumentException bad(Path file, String what) {
    return new IllegalArgumentException(file + " is not a .npy file we read: " + what);
  }

  private static final Pattern DESCR =
      Pattern.compile("'descr'\\s*:\\s*('([^']*)'|\\[(.*?)\\])\\s*,");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final Pattern FIELD = Pattern.compile("\\(\\s*'([^']*)'\\s*,\\s*'([^']*)'\\s*\\)");

  private static Header parse(Path file, String header, long dataOffset, long fileSize) {
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      throw bad(file, "header " + header.strip() + " (expected: descr, fortran_order and shape)");
    }
    DType dtype;
    try {
      if (d.group(2) != null) {
        dtype = DType.scalar(d.group(2));
      } else {
        List<Map.Entry<String, DType>> fields = new ArrayList<>();
        Matcher fm = FIELD.matcher(d.group(3));
        while (fm.find()) {
          fields.add(Map.entry(fm.group(1), DType.scalar(fm.group(2))));
        }
        dtype = DType.struct(fields);
      }
    } catch (IllegalArgumentException e) {
      throw bad(file, "descr " + d.group(1) + ": " + e.getMessage());
    }
    List<Long> dims = new ArrayList<>();
    for (String p : s.group(1).split(",")) {
      if (!p.isBlank()) {
        dims.add(Long.parseLong(p.strip()));
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    Header h = new Header(dtype, f.group(1).equals("True"), shape, dataOffset);
    if (dataOffset + h.nbytes() > fileSize) {
      throw bad(
          file, "its data needs " + h.nbytes() + " bytes, the file has " + (fileSize - dataOffset));
    }
    return h;
  }

  /** The header bytes of a .npy file for an array, version 1 if it fits, else 2. */
  public static byte[] header(DType dtype, char order, long[] shape) {
    StringBuilder sh = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sh.append(shape[i]).append(shape.length == 1 ? "," : i < shape.length - 1 ? ", " : "");
    }
    sh.append(')');
    String descr;
    if (dtype.kind() == 'V' && !dtype.fields().isEmpty()) {
      StringBuilder sb = new StringBuilder("[");
      for (DType.Field fld : dtype.fields()) {
        sb.append(sb.length() > 1 ? ", " : "")
            .append("('")
            .append(fld.name())
            .append("', '")
            .append(fld.type().str())
            .append("')");
      }
      descr = sb.append(']').toString();
    } else {
      descr = "'" + dtype.str() + "'";
    }
    String dict =
        "{'descr': "
            + descr
            + ", 'fortran_order': "
            + (order == 'F' ? "True" : "False")
            + ", 'shape': "
            + sh
            + ", }";
    for (int version = 1; version <= 2; version++) {
      int pre = version == 1 ? 10 : 12;
      int total = pre + dict.length() + 1;
      int padded = (total + 63) / 64 * 64;
      int len = padded - pre;
      if (version == 1 && len > 0xffff) {
        continue;
      }
      ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
      b.put(MAGIC).put((byte) version).put((byte) 0);
      if (version == 1) {
        b.putShort((short) len);
      } else {
        b.putInt(len);
      }
      b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
      while (b.position() < padded - 1) {
        b.put((byte) ' ');
      }
      b.put((byte) '\n');
      return b.array();
    }
    throw new IllegalArgumentException("a .npy header of " + dict.length() + " bytes");
  }

  /**
   * Copies the data of {@code npy} into {@code target}, whose shape, type and order must match, in
   * pieces; {@code progress} gets the bytes copied so far.
   */
  public static void read(Path npy, Header h, BigArray target, LongConsumer progress)
      throws IOException {
    if (!h.dtype().equals(target.dtype()) || h.order() != target.order()) {
      throw new IllegalArgumentException(
          npy
              + ": "
              + h.dtype()
              + " "
              + h.order()
              + " (expected: "
              + target.dtype()
              + " "
              + target.order()
              + ")");
    }
    copyBytes(npy, h.dataOffset(), 0, h.nbytes(), target, progress);
  }

  /** Copies file bytes {@code [from, from + n)} to the array's file at {@code to}, in pieces. */
  static void copyBytes(
      Path npy, long from, long to, long n, BigArray target, LongConsumer progress)
      throws IOException {
    long blk = target.blockSize();
    try (FileChannel ch = FileChannel.open(npy, StandardOpenOption.READ)) {
      long done = 0;
      while (done < n) {
        long at = to + done;
        long firstBlock = at / blk;
        long piece = Math.min(n - done, Math.max(PIECE, blk) - (at - firstBlock * blk));
        long lastBlock = (at + piece - 1) / blk;
        try (var m = target.file().map(firstBlock, lastBlock - firstBlock + 1, true)) {
          ByteBuffer dst = m.segment().asSlice(at - firstBlock * blk, piece).asByteBuffer();
          while (dst.hasRemaining()) {
            if (ch.read(dst, from + done + dst.position()) < 0) {
              throw new IOException(npy + " ended early");
            }
          }
        }
        done += piece;
        target.flushHint(firstBlock, lastBlock);
        progress.accept(done);
      }
    }
  }

  /**
   * Writes {@code view} to a .npy file in C order (a whole array of C or F order is written in its
   * own order, block by block); {@code progress} gets the bytes written so far.
   */
  public static void write(BigArray array, String index, Path out, LongConsumer progress)
      throws IOException {
    List<Index> items = index == null ? List.of(new Index.Ellipsis()) : Index.parse(index);
    try (FileChannel ch =
        FileChannel.open(
            out,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      if (index == null) {
        ch.write(ByteBuffer.wrap(header(array.dtype(), array.order(), array.shape())));
        // block by block through virtmem's own view of the pages, several loading ahead
        long n = array.nbytes();
        long blk = array.blockSize();
        array
            .file()
            .read(
                0,
                (n + blk - 1) / blk,
                (b, bytes) -> {
                  long len = Math.min(blk, n - b * blk);
                  ByteBuffer src = bytes.asSlice(0, len).asByteBuffer();
                  while (src.hasRemaining()) {
                    ch.write(src);
                  }
                  progress.accept(b * blk + len);
                });
        return;
      }
      // a view is written in pieces of at most PIECE bytes of pages each, in C order, so that a
      // view bigger than the RAM budget streams as a whole array does
      Layout l = array.layoutOf(items);
      ch.write(ByteBuffer.wrap(header(array.dtype(), 'C', l.shape())));
      int size = array.dtype().itemsize();
      ByteBuffer buf = ByteBuffer.allocate(Math.max(size, 1 << 16));
      long[] written = {0};
      if (l.size() > 0) {
        writePieces(array, l, ch, buf, written, progress);
      }
      flush(ch, buf);
      progress.accept(written[0]);
    }
  }

  /**
   * The bytes of pages a piece of an export maps: {@link #PIECE}, or a quarter of the RAM budget if
   * that is less, and at least two blocks.
   */
  private static long pieceBytes(BigArray array) {
    long blk = array.blockSize();
    long budget = array.file().virtMem().budgetPages() * blk;
    return Math.max(2 * blk, Math.min(PIECE, budget / 4));
  }

  /** Writes the elements of {@code l} in C order, mapping at most a piece's pages at a time. */
  private static void writePieces(
      BigArray array,
      Layout l,
      FileChannel ch,
      ByteBuffer buf,
      long[] written,
      LongConsumer progress) {
    int size = array.dtype().itemsize();
    long[] span = l.span(size);
    long blk = array.blockSize();
    long pagesBytes = ((span[1] - 1) / blk - span[0] / blk + 1) * blk;
    long[] shape = l.shape();
    long piece = pieceBytes(array);
    if (pagesBytes <= piece || shape.length == 0) {
      try (BigArray.View v = array.viewOf(l)) {
        NDArray a = v.array();
        MemorySegment mem = a.memory();
        a.forEachRun((at, count, stride) -> {
          // a contiguous run goes into the buffer in as few copies as it has room for
          long step = stride == size ? count * size : size;
          for (long j = 0; j < (stride == size ? 1 : count); j++) {
            long from = at + j * stride;
            for (long left = step; left > 0; ) {
              if (buf.remaining() < Math.min(left, size)) {
                flush(ch, buf);
                progress.accept(written[0]);
              }
              int c = (int) Math.min(left, buf.remaining() / size * (long) size);
              MemorySegment.copy(mem, from, MemorySegment.ofBuffer(buf), 0, c);
              buf.position(buf.position() + c);
              from += c;
              left -= c;
              written[0] += c;
            }
          }
        });
      }
      return;
    }
    long[] strides = l.strides();
    long[] restShape = Arrays.copyOfRange(shape, 1, shape.length);
    long[] restStrides = Arrays.copyOfRange(strides, 1, strides.length);
    if (shape[0] == 1) {
      writePieces(
          array, new Layout(l.offset(), restShape, restStrides), ch, buf, written, progress);
      return;
    }
    long rowSpan = Math.max(1, Math.abs(strides[0]));
    long rows = Math.max(1, (piece - blk) / rowSpan);
    for (long r = 0; r < shape[0]; r += rows) {
      long n = Math.min(rows, shape[0] - r);
      long[] pieceShape = shape.clone();
      pieceShape[0] = n;
      writePieces(
          array,
          new Layout(l.offset() + r * strides[0], pieceShape, strides),
          ch,
          buf,
          written,
          progress);
    }
  }

  private static void flush(FileChannel ch, ByteBuffer buf) {
    buf.flip();
    try {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    buf.clear();
  }
}
