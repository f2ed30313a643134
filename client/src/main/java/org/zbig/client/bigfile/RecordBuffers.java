package org.zbig.client.bigfile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import org.zbig.zblk.ZBlk0Codec;

/**
 * Native buffers for ZBlk0 records of one block size ({@link ZBlk0Codec#writeRecord}), kept for
 * reuse: a block written at commit is copied once, from its page into one of them, and the socket
 * writes the record from there. A buffer comes back when its block, committed, drops its state; the
 * last ones given back are taken first (their memory is the warmest). Fresh memory is dear on some
 * machines: a new 2 MiB array was zeroed and then faulted in page by page, twice per block (the
 * block's copy and its record), and that took a third of an import's CPU time in the client. The
 * files of one block size share one set in a process ({@link #shared}); it keeps the buffers of at
 * most 64 MiB of blocks (an import's checkpoint; at least one buffer, at most 64), and leaves
 * others to the garbage collector, as it does buffers whose block is never committed.
 */
final class RecordBuffers {
  private static final ConcurrentHashMap<Long, RecordBuffers> SHARED = new ConcurrentHashMap<>();

  private final long size;
  private final int keep;
  private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
  private long made;

  /** The buffers the files of block size {@code blksize} share in this process. */
  static RecordBuffers shared(long blksize) {
    return SHARED.computeIfAbsent(blksize, RecordBuffers::new);
  }

  /** Buffers for blocks of {@code blksize} bytes, of their own (for tests). */
  RecordBuffers(long blksize) {
    this.size = ZBlk0Codec.maxRecordSize(blksize);
    this.keep = (int) Math.max(1, Math.min(64, (64L << 20) / blksize));
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
    // (the same buffer twice would be two blocks' records in one memory)
    if (s.byteSize() == size && free.size() < keep && !free.contains(s)) {
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
