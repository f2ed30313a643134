package org.zbig.client.virtmem;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Blocks {@code [firstBlock, firstBlock + blockCount)} of a file shown as one contiguous {@link
 * MemorySegment}: address space reserved with {@code mmap(PROT_NONE)}, each page's RAM mapped into
 * it with {@code MAP_SHARED | MAP_FIXED}, so no bytes are copied and the same RAM page can show in
 * several mappings, read-only in some and writable in others. The pages stay loaded and pinned
 * while the mapping is open. A read-only mapping of pages that sit in consecutive slots is
 * {@linkplain #borrowed borrowed} from the slots' own view instead.
 *
 * <p>The segment lives in a shared {@link Arena} that {@link #close()} closes before unmapping: any
 * use after close throws {@link IllegalStateException} instead of touching unmapped memory. A
 * read-only mapping's segment is read-only: a write throws {@link IllegalArgumentException} and
 * dirties nothing.
 */
public final class Mapping implements AutoCloseable {
  private final FileHandle file;
  private final Ram ram;
  private final long firstBlock;
  private final Page[] pages;
  private final boolean writable;
  private final long address;
  private final long size;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment segment;
  private final boolean borrowed;
  private boolean closed;

  /**
   * A read-only mapping of pages that sit in consecutive slots, in order: it shows part of the
   * slots' own view instead of mapping them anew. It costs no system call, and reading it touches
   * page-table entries that are already in place: the first read of a new mapping fills its entries
   * one 4 KiB page at a time, which on a virtual machine that shadows page tables runs at about 1.5
   * GB/s (see docs/benchmarks.md). Its pages cannot be moved to other slots while it is open: a
   * reload puts the new bytes into their own slots. Called with the lock held and the pages pinned.
   */
  static Mapping borrowed(FileHandle file, Ram ram, long firstBlock, Page[] pages) {
    return new Mapping(file, ram, firstBlock, pages);
  }

  private Mapping(FileHandle file, Ram ram, long firstBlock, Page[] pages) {
    this.file = file;
    this.ram = ram;
    this.firstBlock = firstBlock;
    this.pages = pages;
    this.writable = false;
    this.size = pages.length * ram.pageSize();
    this.borrowed = true;
    this.address = 0;
    this.segment = ram.segment(pages[0].slot, pages.length, arena).asReadOnly();
  }

  /** Reserves and maps; called with virtmem's lock held and the pages pinned. */
  @SuppressWarnings("restricted") // a segment over memory this class mapped and unmaps on close
  Mapping(FileHandle file, Ram ram, long firstBlock, Page[] pages, boolean writable) {
    this.file = file;
    this.ram = ram;
    this.firstBlock = firstBlock;
    this.pages = pages;
    this.writable = writable;
    this.size = pages.length * ram.pageSize();
    this.borrowed = false;
    try {
      this.address =
          Pointer.nativeValue(
              LibC.C.mmap(
                  null,
                  size,
                  LibC.PROT_NONE,
                  LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE,
                  -1,
                  0));
    } catch (LastErrorException e) {
      arena.close();
      throw new VirtMemException(
          "cannot reserve " + size + " bytes of address space: " + e.getMessage(), e);
    }
    try {
      for (int i = 0; i < pages.length; i++) {
        FileHandle.mapSlot(ram, address + i * ram.pageSize(), pages[i].slot, writable);
      }
    } catch (RuntimeException e) {
      LibC.C.munmap(new Pointer(address), size);
      arena.close();
      throw e;
    }
    MemorySegment s = MemorySegment.ofAddress(address).reinterpret(size, arena, null);
    this.segment = writable ? s : s.asReadOnly();
  }

  /** The mapped bytes: {@code blockCount() * pageSize} of them, block by block. */
  public MemorySegment segment() {
    return segment;
  }

  /** The first block shown. */
  public long firstBlock() {
    return firstBlock;
  }

  /** How many blocks are shown. */
  public long blockCount() {
    return pages.length;
  }

  /** Whether writes are allowed. */
  public boolean writable() {
    return writable;
  }

  /** Whether it shows the slots' own view ({@link #borrowed}). */
  boolean isBorrowed() {
    return borrowed;
  }

  Page[] pages() {
    return pages;
  }

  /** Shows {@code slot} where {@code p} was (reload in place); with the lock held. */
  void remap(Page p, long slot) {
    if (borrowed) {
      throw new IllegalStateException("a borrowed mapping cannot be remapped");
    }
    int i = (int) (p.blk - firstBlock);
    FileHandle.mapSlot(ram, address + i * ram.pageSize(), slot, writable);
  }

  /** Unmaps and unpins; the segment is unusable afterwards. Idempotent. */
  @Override
  public void close() {
    file.closeMapping(this);
  }

  /** With the lock held: closes the arena, unmaps, and reports to the file. */
  boolean closeLocked() {
    if (closed) {
      return false;
    }
    closed = true;
    arena.close(); // waits for no thread to be using the segment; then nothing can touch it
    if (!borrowed) {
      LibC.C.munmap(new Pointer(address), size);
    }
    return true;
  }
}
