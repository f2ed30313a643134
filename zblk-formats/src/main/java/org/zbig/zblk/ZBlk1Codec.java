package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.zbig.zodb.pickle.Bytes;

/**
 * ZBlk1 (docs/formats.md §4.3): the block cut into {@value #CHUNK}-byte chunks, each stored as a
 * ZData with trailing zeros removed, zero chunks absent, keyed by byte offset in an IOBTree. The
 * reader takes chunks of any size at any offset; the writer re-chunks a block whose chunks are not
 * its own.
 */
public final class ZBlk1Codec {
  /** The chunk size Python's wendelin.core and this writer use. */
  public static final int CHUNK = 4096;

  private ZBlk1Codec() {}

  /** What a ZData record starts with, up to its state (see {@link Blocks#recordPrefix}). */
  private static final byte[] ZDATA_PREFIX = Blocks.recordPrefix("ZData");

  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * The data of a ZData chunk's record (docs/formats.md §4.3), a view of {@code record}, read
   * without the general pickle reader when the record has exactly the form Python 3 and this
   * project write: the prefix above, one {@code SHORT_BINBYTES} or {@code BINBYTES}, an optional
   * {@code BINPUT 1} and {@code STOP}. A block's 512 chunks are read this way in a fraction of the
   * time the general reader takes; any other form (Python 2's, another protocol) gives null, and
   * the caller decodes it as any record.
   */
  public static Bytes zdataBytes(Bytes record) {
    MemorySegment r = record.segment();
    long size = r.byteSize();
    int p = ZDATA_PREFIX.length;
    if (size < p + 2
        || MemorySegment.mismatch(
                r, 0, p, MemorySegment.ofArray(ZDATA_PREFIX), 0, ZDATA_PREFIX.length)
            != -1) {
      return null;
    }
    byte op = r.get(ValueLayout.JAVA_BYTE, p);
    long n;
    long at;
    if (op == 'C') { // SHORT_BINBYTES: a 1-byte length
      n = Byte.toUnsignedInt(r.get(ValueLayout.JAVA_BYTE, p + 1));
      at = p + 2L;
    } else if (op == 'B' && size >= p + 5) { // BINBYTES: a 4-byte little-endian length
      n = Integer.toUnsignedLong(r.get(INT_LE, p + 1));
      at = p + 5L;
    } else {
      return null;
    }
    long rest = size - at - n; // what follows the data: STOP, or BINPUT 1 and STOP
    if (rest == 1 && r.get(ValueLayout.JAVA_BYTE, size - 1) == '.'
        || rest == 3
            && r.get(ValueLayout.JAVA_BYTE, size - 3) == 'q'
            && r.get(ValueLayout.JAVA_BYTE, size - 2) == 1
            && r.get(ValueLayout.JAVA_BYTE, size - 1) == '.') {
      return record.slice((int) at, (int) n);
    }
    return null;
  }

  /**
   * The chunks of a block: offset to trimmed bytes (views of {@code block}), zero chunks left out.
   */
  public static SortedMap<Integer, Bytes> encode(MemorySegment block) {
    SortedMap<Integer, Bytes> out = new TreeMap<>();
    for (long off = 0; off < block.byteSize(); off += CHUNK) {
      MemorySegment chunk = block.asSlice(off, Math.min(CHUNK, block.byteSize() - off));
      long n = Blocks.trimmedLength(chunk);
      if (n > 0) {
        out.put((int) off, Bytes.view(chunk.asSlice(0, n)));
      }
    }
    return out;
  }

  /**
   * Whether existing chunks must be cleared before this writer's chunks are stored: an offset not a
   * multiple of {@value #CHUNK}, or a chunk longer than that.
   */
  public static boolean needsRechunk(Map<Integer, Bytes> existing) {
    for (Map.Entry<Integer, Bytes> e : existing.entrySet()) {
      if (e.getKey() % CHUNK != 0 || e.getValue().length() > CHUNK) {
        return true;
      }
    }
    return false;
  }

  /**
   * Writes chunks into a page of zeros at their offsets.
   *
   * @throws IllegalArgumentException if a chunk overlaps the previous one or ends past the page
   */
  public static void decode(SortedMap<Integer, Bytes> chunks, MemorySegment page) {
    decode(chunks, page, false);
  }

  /**
   * Writes chunks into a page that holds other bytes: at their offsets, and zeros everywhere else
   * (each byte written once, instead of a fill of zeros that the chunks then overwrite).
   *
   * @throws IllegalArgumentException if a chunk overlaps the previous one or ends past the page
   */
  public static void decodeOver(SortedMap<Integer, Bytes> chunks, MemorySegment page) {
    decode(chunks, page, true);
  }

  private static void decode(SortedMap<Integer, Bytes> chunks, MemorySegment page, boolean over) {
    int[] offsets = new int[chunks.size()];
    Bytes[] data = new Bytes[chunks.size()];
    int n = 0;
    for (Map.Entry<Integer, Bytes> e : chunks.entrySet()) {
      offsets[n] = e.getKey();
      data[n++] = e.getValue();
    }
    decode(offsets, data, n, page, over);
  }

  /**
   * Writes the first {@code count} chunks, {@code chunks[i]} at offset {@code offsets[i]}, into a
   * page: of zeros, or holding other bytes if {@code over}, which are then zeroed where no chunk
   * lies (each byte written once). This is {@link #decode(SortedMap, MemorySegment)} and {@link
   * #decodeOver} for a reader that has the chunk table's items in its arrays already, in key order:
   * a block of 512 chunks is read without a map (walking a tree map of 512 entries cost as much as
   * copying the 2 MiB).
   *
   * @throws IllegalArgumentException if the offsets do not increase, a chunk overlaps the previous
   *     one or ends past the page
   */
  public static void decode(
      int[] offsets, Bytes[] chunks, int count, MemorySegment page, boolean over) {
    long end = 0;
    for (int i = 0; i < count; i++) {
      long off = offsets[i];
      Bytes data = chunks[i];
      if (i > 0 && off <= offsets[i - 1]) {
        throw new IllegalArgumentException(
            "ZBlk1 chunk at "
                + off
                + " after one at "
                + offsets[i - 1]
                + " (expected: increasing offsets)");
      }
      if (off < end) {
        throw new IllegalArgumentException(
            "ZBlk1 chunk at " + off + " overlaps the previous one, which ends at " + end);
      }
      if (off < 0 || off + data.length() > page.byteSize()) {
        throw new IllegalArgumentException(
            "ZBlk1 chunk at "
                + off
                + " of "
                + data.length()
                + " bytes (expected: within the block size "
                + page.byteSize()
                + ")");
      }
      if (over && off > end) {
        page.asSlice(end, off - end).fill((byte) 0);
      }
      MemorySegment.copy(data.segment(), 0, page, off, data.length());
      end = off + data.length();
    }
    if (over && end < page.byteSize()) {
      page.asSlice(end).fill((byte) 0);
    }
  }
}
