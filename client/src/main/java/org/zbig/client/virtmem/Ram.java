package org.zbig.client.virtmem;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Deque;

/**
 * The RAM pages live in: a memfd (or, where there is none, an unlinked file on /dev/shm) cut into
 * slots of one page each. A slot's memory is allocated with {@code fallocate} when the slot is
 * first taken, so a full file system is a clear {@link VirtMemException} then, never a crash on
 * first touch. A slot given back by reclaim keeps its memory ({@link #recycle}): taking it again
 * costs no system call, no kernel zeroing and no page faults, only a zeroing in user space by the
 * loader ({@link #stale}). Those kept slots count in the RAM a virtmem holds (there are never more
 * of them than the high-water mark of pages in use, which the budget bounds); a slot freed with
 * {@link #release} gives its memory back with a punched hole.
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
  private final Deque<Long> free = new ArrayDeque<>(); // memory punched out: reads as zeros
  private final Deque<Long> kept = new ArrayDeque<>(); // memory kept, content left over
  private final BitSet stale = new BitSet(); // slots whose content is left over when taken
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
    return kept.size();
  }

  /**
   * Takes a slot, its memory allocated: a kept one if there is one (its content is left over: see
   * {@link #stale}), else one whose memory reads as zeros.
   *
   * @throws VirtMemException naming the size if the file system cannot allocate it
   */
  long allocate() {
    if (!kept.isEmpty()) {
      long slot = kept.pop();
      used++;
      return slot;
    }
    long slot;
    if (!free.isEmpty()) {
      slot = free.pop();
    } else {
      if (slots == maxSlots) {
        throw new VirtMemException("virtmem RAM: all " + maxSlots + " slots in use");
      }
      slot = slots;
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
    }
    try {
      LibC.C.fallocate(fd, 0, slot * pageSize, pageSize);
    } catch (LastErrorException e) {
      free.push(slot);
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
    if (populate) {
      try {
        // fault the slot's own view in now: loading into it then runs at copy speed
        LibC.C.madvise(base.share(slot * pageSize), pageSize, LibC.MADV_POPULATE_WRITE);
      } catch (LastErrorException e) {
        populate = false; // kernels before 5.14: pages fault in on first touch instead
      }
    }
    return slot;
  }

  private boolean populate = true;

  /** Whether the slot, just taken, holds left-over bytes (the taker must zero it if it needs). */
  boolean stale(long slot) {
    return stale.get(Math.toIntExact(slot));
  }

  /** Gives a slot back, keeping its memory for the next {@link #allocate}. */
  void recycle(long slot) {
    stale.set(Math.toIntExact(slot));
    kept.push(slot);
    used--;
  }

  /** Gives the memory of every kept slot back. */
  void releaseKept() {
    while (!kept.isEmpty()) {
      long slot = kept.pop();
      used++;
      release(slot);
    }
  }

  /** Gives a slot back; its memory is released. */
  void release(long slot) {
    try {
      LibC.C.fallocate(
          fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, slot * pageSize, pageSize);
    } catch (LastErrorException e) {
      throw new VirtMemException("cannot release a virtmem page: " + e.getMessage(), e);
    }
    stale.clear(Math.toIntExact(slot));
    free.push(slot);
    used--;
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
