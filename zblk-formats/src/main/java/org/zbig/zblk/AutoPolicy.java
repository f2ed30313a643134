package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.zbig.zodb.pickle.Bytes;

/**
 * The {@code auto} format policy, as wendelin.core decides it for each stored block
 * (docs/formats.md §4.4): appends and small changes go to ZBlk1, a block that fills up or changes a
 * lot goes to ZBlk0, and appending a new block migrates the previous one, if changed in this
 * transaction and not ZBlk0, to ZBlk0.
 */
public final class AutoPolicy {
  private AutoPolicy() {}

  /**
   * What to do with one block.
   *
   * @param format {@link ZBlkFormat#ZBLK0} or {@link ZBlkFormat#ZBLK1}
   * @param migratePrevious whether block {@code blk - 1} must be stored again as ZBlk0
   */
  public record Decision(ZBlkFormat format, boolean migratePrevious) {}

  /**
   * Decides the format of block {@code blk}.
   *
   * @param blk the block
   * @param block its new content, a whole block
   * @param old its current data without trailing zeros, empty if it has none
   * @param lastBlock the largest block number in the file, -1 if none (counting blocks stored
   *     earlier in this commit)
   * @param previousChangedNotZBlk0 whether block {@code blk - 1} exists, was changed in this
   *     transaction and is not stored as ZBlk0
   */
  public static Decision decide(
      long blk, MemorySegment block, Bytes old, long lastBlock, boolean previousChangedNotZBlk0) {
    long blksize = block.byteSize();
    long newLen = Blocks.trimmedLength(block);
    long oldLen = old.length();
    long common = Math.min(newLen, oldLen);
    long ndelta = Math.abs(newLen - oldLen) + differing(block, old.segment(), common);
    boolean appendOld =
        blk == lastBlock && oldLen <= newLen && differing(block, old.segment(), oldLen) == 0;
    boolean appendNew = blk == lastBlock + 1 && oldLen == 0;
    boolean small = ndelta < blksize / 2;
    boolean filled = newLen == blksize;
    if (appendOld || appendNew) {
      boolean migrate = appendNew && previousChangedNotZBlk0;
      return new Decision(small && !filled ? ZBlkFormat.ZBLK1 : ZBlkFormat.ZBLK0, migrate);
    }
    return new Decision(small ? ZBlkFormat.ZBLK1 : ZBlkFormat.ZBLK0, false);
  }

  /** How many of the first {@code n} bytes differ. */
  private static long differing(MemorySegment a, MemorySegment b, long n) {
    long count = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
      long x =
          a.get(ValueLayout.JAVA_LONG_UNALIGNED, i) ^ b.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
      if (x != 0) {
        for (int k = 0; k < 8; k++) {
          if (((x >>> (8 * k)) & 0xff) != 0) {
            count++;
          }
        }
      }
    }
    for (; i < n; i++) {
      if (a.get(ValueLayout.JAVA_BYTE, i) != b.get(ValueLayout.JAVA_BYTE, i)) {
        count++;
      }
    }
    return count;
  }
}
