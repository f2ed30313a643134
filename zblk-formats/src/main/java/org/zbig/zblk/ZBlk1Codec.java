package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
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
    long end = 0;
    for (Map.Entry<Integer, Bytes> e : chunks.entrySet()) {
      long off = e.getKey();
      Bytes data = e.getValue();
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
