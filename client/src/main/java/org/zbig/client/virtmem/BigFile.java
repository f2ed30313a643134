package org.zbig.client.virtmem;

import java.lang.foreign.MemorySegment;

/**
 * A file of fixed-size blocks that virtmem pages in and out: the plug-in interface between the page
 * cache and where blocks live (a {@code ZBigFile} in the database, a test's byte array). Both calls
 * run without virtmem's lock held, possibly on several threads at once for different blocks.
 */
public interface BigFile {
  /** The block size in bytes: the page size of this file. */
  long blockSize();

  /**
   * Fills {@code page} ({@link #blockSize()} bytes) with block {@code blk}; a block that does not
   * exist reads as zeros.
   */
  void loadBlock(long blk, MemorySegment page);

  /** Stores block {@code blk} from {@code page} ({@link #blockSize()} bytes, read-only). */
  void storeBlock(long blk, MemorySegment page);
}
