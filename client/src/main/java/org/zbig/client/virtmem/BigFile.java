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

  /**
   * As {@link #loadBlock}, into a page that holds left-over bytes (a reused slot): every byte must
   * be written. The default zeroes the page, then loads the block; a file that knows which bytes
   * its block leaves zero saves that pass over the page (2 MiB written for nothing, on each
   * fault-in of a reused slot).
   */
  default void loadBlockOver(long blk, MemorySegment page) {
    page.fill((byte) 0);
    loadBlock(blk, page);
  }

  /** Stores block {@code blk} from {@code page} ({@link #blockSize()} bytes, read-only). */
  void storeBlock(long blk, MemorySegment page);
}
