package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.zbig.zodb.pickle.Bytes;

/**
 * ZBlk0 (docs/formats.md §4.2): the state is the block's bytes with trailing zeros removed; an
 * all-zero block is empty bytes.
 */
public final class ZBlk0Codec {
  private ZBlk0Codec() {}

  private static final byte[] RECORD_PREFIX = recordPrefixWithBinbytes();

  private static byte[] recordPrefixWithBinbytes() {
    byte[] p = Blocks.recordPrefix("ZBlk0");
    byte[] out = Arrays.copyOf(p, p.length + 1);
    out[p.length] = 'B';
    return out;
  }

  /**
   * What a ZBlk0 record starts with as Python 3 and this project write it, up to its state's {@code
   * BINBYTES} opcode (its 4-byte length and the data follow): the form whose data a client may
   * receive straight into the block's page. A fresh copy.
   */
  public static byte[] recordPrefix() {
    return RECORD_PREFIX.clone();
  }

  /** What follows the data in such a record: the memo put Python writes after bytes, and STOP. */
  private static final byte[] RECORD_SUFFIX = {'q', 1, '.'};

  private static final ValueLayout.OfInt LENGTH =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** Where the data starts in a record {@link #writeRecord} wrote. */
  public static long recordDataOffset() {
    return RECORD_PREFIX.length + 4L;
  }

  /** The bytes a record {@link #writeRecord} wrote holds after its data. */
  public static long recordSuffixLength() {
    return RECORD_SUFFIX.length;
  }

  /** The room {@link #writeRecord} needs for a block of {@code blockSize} bytes. */
  public static long maxRecordSize(long blockSize) {
    return recordDataOffset() + blockSize + RECORD_SUFFIX.length;
  }

  /**
   * Writes the whole record of {@code block} to the start of {@code into}: class ZBlk0 and the
   * block's bytes without trailing zeros, byte for byte what {@code DataRecord} encodes for them
   * and Python 3 writes ({@link #recordPrefix()}, the data's length, the data, {@code q\x01.}).
   * Data shorter than 256 bytes is written with {@code SHORT_BINBYTES} instead; that record is left
   * to the general writer.
   *
   * @return the record's length, or -1 (nothing written) if the data is shorter than 256 bytes
   * @throws IllegalArgumentException if {@code into} is smaller than {@link #maxRecordSize} of the
   *     block, or the block is 4 GiB or more
   */
  public static long writeRecord(MemorySegment block, MemorySegment into) {
    if (block.byteSize() >= 1L << 32 || into.byteSize() < maxRecordSize(block.byteSize())) {
      throw new IllegalArgumentException(
          "record buffer: "
              + into.byteSize()
              + " bytes for a block of "
              + block.byteSize()
              + " (expected: a block under 4 GiB and at least "
              + maxRecordSize(block.byteSize())
              + " bytes)");
    }
    long n = Blocks.trimmedLength(block);
    if (n < 256) {
      return -1;
    }
    MemorySegment.copy(RECORD_PREFIX, 0, into, ValueLayout.JAVA_BYTE, 0, RECORD_PREFIX.length);
    into.set(LENGTH, RECORD_PREFIX.length, (int) n);
    long at = recordDataOffset();
    MemorySegment.copy(block, 0, into, at, n);
    MemorySegment.copy(RECORD_SUFFIX, 0, into, ValueLayout.JAVA_BYTE, at + n, RECORD_SUFFIX.length);
    return at + n + RECORD_SUFFIX.length;
  }

  /** The state of a block: its bytes without trailing zeros (a view of {@code block}). */
  public static Bytes encode(MemorySegment block) {
    return Bytes.view(block.asSlice(0, Blocks.trimmedLength(block)));
  }

  /**
   * Writes a state into a page of zeros.
   *
   * @throws IllegalArgumentException if the state is longer than the page
   */
  public static void decode(Bytes state, MemorySegment page) {
    if (state.length() > page.byteSize()) {
      throw new IllegalArgumentException(
          "ZBlk0 data: "
              + state.length()
              + " bytes (expected: <= the block size "
              + page.byteSize()
              + ")");
    }
    MemorySegment.copy(state.segment(), 0, page, 0, state.length());
  }
}
