package org.zbig.client.bigfile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import org.zbig.zblk.ZBlk0Codec;

/**
 * Native buffers for the records of one file's ZBlk0 blocks ({@link ZBlk0Codec#writeRecord}), kept
 * for reuse: a block written at commit is copied once, from its page into one of them, and the
 * socket writes the record from there. A buffer comes back when its block, committed, drops its
 * state; the last ones given back are taken first (their memory is the warmest). Fresh memory is
 * dear on some machines: a new 2 MiB array was zeroed and then faulted in page by page, twice per
 * block (the block's copy and its record), and that took a third of an import's CPU time in the
 * client. At most {@link #keep} buffers are kept (64 MiB of them, at least 8); others are left to
 * the garbage collector, as are buffers whose block is never committed.
 */
final class RecordBuffers {
  private final long size;
  private final int keep;
  private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
  private long made;

  /** Buffers for blocks of {@code blksize} bytes. */
  RecordBuffers(long blksize) {
    this.size = ZBlk0Codec.maxRecordSize(blksize);
    this.keep = (int) Math.max(8, Math.min(64, (64L << 20) / size));
  }

  /** A buffer of {@link ZBlk0Codec#maxRecordSize} bytes: one given back, or a new one. */
  synchronized MemorySegment take() {
    MemorySegment s = free.pollFirst();
    if (s == null) {
      made++;
      s = Arena.ofAuto().allocate(size, 4096);
    }
    return s;
  }

  /** Gives {@code s} back; nothing may read or write it afterwards. */
  synchronized void give(MemorySegment s) {
    if (s.byteSize() == size && free.size() < keep) {
      free.addFirst(s);
    }
  }

  /** How many buffers wait to be taken again (for tests). */
  synchronized int kept() {
    return free.size();
  }

  /** How many buffers were made (for tests). */
  synchronized long made() {
    return made;
  }

  /** The most buffers kept. */
  int keep() {
    return keep;
  }
}
