package org.zbig.client.virtmem;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * The RAM pages live in: a memfd (or, where there is none, an unlinked file on /dev/shm) cut into
 * slots of one page each. A slot's memory is allocated with {@code fallocate} when the slot is
 * first taken, so a full file system is a clear {@link VirtMemException} then, never a crash on
 * first touch. A slot given back by reclaim keeps its memory ({@link #recycle}): taking it again
 * costs no system call, no kernel zeroing and no page faults; the loader writes over its left-over
 * bytes ({@link #stale}, {@link BigFile#loadBlockOver}). Those kept slots count in the RAM a
 * virtmem holds (there are never more of them than the high-water mark of pages in use, which the
 * budget bounds); a slot freed with {@link #release} gives its memory back with a punched hole.
 *
 * <p>Each slot is also mapped once, writable, into one big reserved region: the view virtmem itself
 * loads into, compares and stores from. Mappings handed to applications are other mappings of the
 * same slots. Not thread-safe: the caller holds virtmem's lock.
 */
final class Ram implements AutoCloseable {
  private static final long RESERVE = 1L << 40; // address space for the slots' own view

  private final long pageSize;
  private final int fd;
  private final Pointer base; // the slots' own writable view, RESERVE bytes reserved
  private final long maxSlots;
  private final BitSet free = new BitSet(); // memory punched out: reads as zeros
  private final BitSet kept = new BitSet(); // memory kept, content left over
  private int keptCount;
  private final BitSet stale = new BitSet(); // slots whose content is left over when taken
  private final BitSet untouched = new BitSet(); // memory allocated, never written by the CPU
  private long slots; // slots ever handed out (the file's length / pageSize)
  private long used;
  private boolean closed;

  Ram(long pageSize) {
    this(pageSize, null);
  }

  /** RAM in an unlinked file in {@code dir} (a tmpfs), or a memfd when {@code dir} is null. */
  Ram(long pageSize, Path dir) {
    if (pageSize < 4096 || Long.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException(
          "page size: " + pageSize + " (expected: a power of two >= 4096)");
    }
    this.pageSize = pageSize;
    this.fd = dir == null ? openFd() : openFile(dir.toString());
    this.maxSlots = RESERVE / pageSize;
    try {
      this.base =
          LibC.C.mmap(
              null,
              RESERVE,
              LibC.PROT_NONE,
              LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE,
              -1,
              0);
    } catch (LastErrorException e) {
      LibC.C.close(fd);
      throw new VirtMemException("cannot reserve address space for virtmem: " + e.getMessage(), e);
    }
  }

  private static int openFd() {
    try {
      return LibC.C.memfd_create("zbig-virtmem", LibC.MFD_CLOEXEC);
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      try {
        return openFile("/dev/shm");
      } catch (VirtMemException f) {
        f.addSuppressed(e);
        throw f;
      }
    }
  }

  private static int openFile(String dir) {
    String path = dir + "/zbig-virtmem-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try {
      int fd = LibC.C.open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0600);
      LibC.C.unlink(path);
      return fd;
    } catch (LastErrorException e) {
      throw new VirtMemException(
          "cannot create RAM for virtmem in " + path + ": " + e.getMessage(), e);
    }
  }

  long pageSize() {
    return pageSize;
  }

  int fd() {
    return fd;
  }

  /** Slots in use. */
  long used() {
    return used;
  }

  /** Slots whose memory is kept for reuse, not in use. */
  long kept() {
    return keptCount;
  }

  /**
   * Takes a slot, its memory allocated: the lowest kept one if there is one (its content is left
   * over: see {@link #stale}), else the lowest whose memory reads as zeros. Lowest first, so that
   * slots taken one after the other tend to be consecutive ({@link #allocateRun}).
   *
   * @throws VirtMemException naming the size if the file system cannot allocate it
   */
  long allocate() {
    if (keptCount > 0) {
      return takeKept(kept.nextSetBit(0));
    }
    int slot = free.nextSetBit(0);
    return slot >= 0 ? takeFree(slot) : takeNew();
  }

  /**
   * Takes {@code n} consecutive slots, their memory allocated, and returns the first; or -1 if
   * there is no such run, and then takes nothing. A run is made of kept slots and free ones, and
   * may go on past the slots handed out so far only while no slot is kept (new memory is not taken
   * while kept memory waits for reuse). Consecutive slots hold consecutive pages in the slots' own
   * view, which a read-only mapping of them can then use as is (no new page-table entries).
   *
   * @throws VirtMemException naming the size if the file system cannot allocate one; the slots of
   *     the run taken before it are given back
   */
  long allocateRun(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("run of " + n + " slots (expected: >= 1)");
    }
    long start = findRun(n);
    if (start < 0) {
      return -1;
    }
    for (long s = start; s < start + n; s++) {
      try {
        if (kept.get((int) s)) {
          takeKept((int) s);
        } else if (free.get((int) s)) {
          takeFree((int) s);
        } else {
          takeNew();
        }
      } catch (VirtMemException e) {
        for (long t = start; t < s; t++) {
          recycle(t);
        }
        throw e;
      }
    }
    return start;
  }

  /** The first slot of the lowest run of {@code n} available slots, or -1. */
  private long findRun(int n) {
    long end = keptCount == 0 ? Math.min(maxSlots, slots + n) : slots; // past it: new slots
    long s = 0;
    while (s + n <= end) {
      long i = s;
      while (i < s + n && available(i)) {
        i++;
      }
      if (i == s + n) {
        return s;
      }
      s = i + 1; // the run cannot include slot i
    }
    return -1;
  }

  private boolean available(long slot) {
    return slot >= slots || kept.get((int) slot) || free.get((int) slot);
  }

  private long takeKept(int slot) {
    kept.clear(slot);
    keptCount--;
    used++;
    return slot;
  }

  private long takeFree(int slot) {
    free.clear(slot);
    try {
      fallocate(slot);
    } catch (VirtMemException e) {
      free.set(slot);
      throw e;
    }
    return slot;
  }

  private long takeNew() {
    if (slots == maxSlots) {
      throw new VirtMemException("virtmem RAM: all " + maxSlots + " slots in use");
    }
    long slot = slots;
    try {
      LibC.C.ftruncate(fd, (slot + 1) * pageSize);
      LibC.C.mmap(
          base.share(slot * pageSize),
          pageSize,
          LibC.PROT_READ | LibC.PROT_WRITE,
          LibC.MAP_SHARED | LibC.MAP_FIXED,
          fd,
          slot * pageSize);
    } catch (LastErrorException e) {
      throw new VirtMemException("cannot grow virtmem RAM: " + e.getMessage(), e);
    }
    slots++;
    try {
      fallocate(slot);
    } catch (VirtMemException e) {
      free.set((int) slot);
      throw e;
    }
    return slot;
  }

  /** Allocates a slot's memory (and counts it used), faulting the own view's pages in. */
  private void fallocate(long slot) {
    try {
      LibC.C.fallocate(fd, 0, slot * pageSize, pageSize);
    } catch (LastErrorException e) {
      throw new VirtMemException(
          "cannot allocate a page of "
              + pageSize
              + " bytes for virtmem ("
              + (e.getErrorCode() == LibC.ENOSPC
                  ? "no space left in the RAM file system"
                  : e.getMessage())
              + "; "
              + used
              + " pages in use)",
          e);
    }
    used++;
    untouched.set(Math.toIntExact(slot));
    if (populate) {
      try {
        // fault the slot's own view in now: loading into it then runs at copy speed
        LibC.C.madvise(base.share(slot * pageSize), pageSize, LibC.MADV_POPULATE_WRITE);
      } catch (LastErrorException e) {
        populate = false; // kernels before 5.14: pages fault in on first touch instead
      }
    }
  }

  private boolean populate = true;

  /**
   * Whether the slot's memory, just allocated, was never written by the CPU; the caller then owns
   * its first touch ({@link #touch}), and the next call says false. Populating the memory ({@code
   * MADV_POPULATE_WRITE}) maps its pages, yet on a VM whose page tables are shadowed the CPU's
   * first write to each 4 KiB page still costs about 2.5 µs, unseen by the guest: copying 2 MiB
   * into such a slot runs at 0.8 GB/s, into a touched one at 26-28 GB/s. The loader touches it, off
   * the network thread that copies a block's data into it (docs/benchmarks.md, "The slow copy into
   * page slots").
   */
  boolean takeUntouched(long slot) {
    int i = Math.toIntExact(slot);
    boolean was = untouched.get(i);
    untouched.clear(i);
    return was;
  }

  /**
   * Writes a zero to the first byte of each 4 KiB page of a slot whose memory reads as zeros and
   * that nobody else uses yet: the first touch of its pages, without the caller's lock.
   */
  void touch(long slot) {
    MemorySegment m = segment(slot);
    for (long at = 0; at < pageSize; at += 4096) {
      m.set(ValueLayout.JAVA_BYTE, at, (byte) 0);
    }
  }

  /** Whether the slot, just taken, holds left-over bytes (the taker must zero it if it needs). */
  boolean stale(long slot) {
    return stale.get(Math.toIntExact(slot));
  }

  /** Gives a slot back, keeping its memory for the next {@link #allocate}. */
  void recycle(long slot) {
    untouched.clear(Math.toIntExact(slot));
    stale.set(Math.toIntExact(slot));
    kept.set((int) slot);
    keptCount++;
    used--;
  }

  /** Gives the memory of every kept slot back. */
  void releaseKept() {
    for (int slot = kept.nextSetBit(0); slot >= 0; slot = kept.nextSetBit(slot + 1)) {
      takeKept(slot);
      release(slot);
    }
  }

  /** Gives a slot back; its memory is released. */
  void release(long slot) {
    untouched.clear(Math.toIntExact(slot));
    try {
      LibC.C.fallocate(
          fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, slot * pageSize, pageSize);
    } catch (LastErrorException e) {
      throw new VirtMemException("cannot release a virtmem page: " + e.getMessage(), e);
    }
    stale.clear(Math.toIntExact(slot));
    free.set((int) slot);
    used--;
  }

  /** Slots {@code [slot, slot + n)}, through the slots' own writable view. */
  @SuppressWarnings("restricted") // the view is mapped for the life of this object
  MemorySegment segment(long slot, long n, Arena arena) {
    return MemorySegment.ofAddress(Pointer.nativeValue(base) + slot * pageSize)
        .reinterpret(n * pageSize, arena, null);
  }

  /** The slot's memory, through the slots' own writable view. */
  @SuppressWarnings("restricted") // the view is mapped for the life of this object
  MemorySegment segment(long slot) {
    return MemorySegment.ofAddress(Pointer.nativeValue(base) + slot * pageSize)
        .reinterpret(pageSize, Arena.global(), null);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      LibC.C.munmap(base, RESERVE);
      LibC.C.close(fd);
    }
  }
}
