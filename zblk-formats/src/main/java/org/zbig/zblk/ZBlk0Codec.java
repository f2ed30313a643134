package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
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
