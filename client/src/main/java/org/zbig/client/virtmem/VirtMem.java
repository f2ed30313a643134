package org.zbig.client.virtmem;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.LoggerFactory;

/**
 * The page cache: RAM for pages of big files, one lock, a RAM budget and the least-recently-used
 * order of pages that may be evicted (loaded, clean, not mapped). Files are opened with {@link
 * #open(BigFile)}; their blocks are read through {@link Mapping}s.
 *
 * <p>Thread-safe. No I/O ({@link BigFile#loadBlock}, {@link BigFile#storeBlock}) ever runs with the
 * lock held: a loader marks its page {@link PageState#LOADING}, unlocks, loads, and locks again.
 */
public final class VirtMem implements AutoCloseable {
  final ReentrantLock lock = new ReentrantLock();
  final Ram ram;
  private final long budgetPages;
  private final int readAhead;
  private final LinkedHashMap<Page, Page> evictable = new LinkedHashMap<>(16, 0.75f, true);
  final ExecutorService loaders = Executors.newVirtualThreadPerTaskExecutor();
  final Set<FileHandle> files = new CopyOnWriteArraySet<>();
  private boolean closed;

  /**
   * A page cache.
   *
   * @param pageSize the page size, a power of two of at least 4096: the block size of the files it
   *     serves
   * @param ramBudget the most bytes of pages held at once
   * @param readAhead how many blocks after a mapped range are loaded in the background
   */
  public VirtMem(long pageSize, long ramBudget, int readAhead) {
    this(pageSize, ramBudget, readAhead, null);
  }

  /** As {@link #VirtMem(long, long, int)}, with RAM in a file in {@code ramDir} (a tmpfs). */
  VirtMem(long pageSize, long ramBudget, int readAhead, Path ramDir) {
    if (ramBudget < pageSize) {
      throw new IllegalArgumentException(
          "RAM budget: " + ramBudget + " bytes (expected: at least one page of " + pageSize + ")");
    }
    if (readAhead < 0) {
      throw new IllegalArgumentException("read-ahead: " + readAhead + " (expected: >= 0)");
    }
    this.ram = new Ram(pageSize, ramDir);
    this.budgetPages = ramBudget / pageSize;
    this.readAhead = readAhead;
  }

  /** The page size. */
  public long pageSize() {
    return ram.pageSize();
  }

  /** The RAM budget in pages. */
  public long budgetPages() {
    return budgetPages;
  }

  /** Pages held in RAM now. */
  public long pagesInRam() {
    lock.lock();
    try {
      return ram.used();
    } finally {
      lock.unlock();
    }
  }

  int readAhead() {
    return readAhead;
  }

  /**
   * Opens {@code file} for paging.
   *
   * @throws IllegalArgumentException if its block size is not this cache's page size
   */
  public FileHandle open(BigFile file) {
    if (file.blockSize() != ram.pageSize()) {
      throw new IllegalArgumentException(
          "block size: " + file.blockSize() + " (expected: the page size " + ram.pageSize() + ")");
    }
    lock.lock();
    try {
      checkOpen();
      FileHandle h = new FileHandle(this, file);
      files.add(h);
      return h;
    } finally {
      lock.unlock();
    }
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("virtmem closed");
    }
  }

  /**
   * Evicts up to {@code pages} evictable pages (loaded, clean, unpinned), least recently used first
   * (wendelin.core's {@code ram_reclaim}). Their RAM stays with this cache for the next pages
   * loaded; {@link #trim} gives it back to the system.
   *
   * @return the pages evicted
   */
  public long reclaim(long pages) {
    lock.lock();
    try {
      checkOpen();
      long n = 0;
      Iterator<Page> it = evictable.keySet().iterator();
      while (n < pages && it.hasNext()) {
        Page p = it.next();
        it.remove();
        p.file.evict(p);
        n++;
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Gives the RAM of evicted pages, kept for reuse, back to the system. */
  public void trim() {
    lock.lock();
    try {
      checkOpen();
      ram.releaseKept();
    } finally {
      lock.unlock();
    }
  }

  /** Takes a slot, evicting the least recently used evictable page if the budget is reached. */
  long allocateSlot() {
    assert lock.isHeldByCurrentThread();
    while (ram.used() >= budgetPages) {
      Iterator<Page> it = evictable.keySet().iterator();
      if (!it.hasNext() && cleanUnchangedDirtyPages()) {
        it = evictable.keySet().iterator();
      }
      if (!it.hasNext()) {
        throw exhausted();
      }
      Page p = it.next();
      it.remove();
      p.file.evict(p);
    }
    return ram.allocate();
  }

  /**
   * Takes up to {@code n} slots, consecutive when the RAM has such a run ({@link Ram#allocateRun}),
   * evicting least recently used evictable pages to make room; fewer (none, at worst) when the
   * budget has no room for more.
   */
  long[] allocateSlots(int n) {
    assert lock.isHeldByCurrentThread();
    int room = n;
    while (ram.used() + room > budgetPages) {
      Iterator<Page> it = evictable.keySet().iterator();
      if (!it.hasNext() && cleanUnchangedDirtyPages()) {
        it = evictable.keySet().iterator();
      }
      if (!it.hasNext()) {
        room = (int) Math.max(0, budgetPages - ram.used());
        break;
      }
      Page p = it.next();
      it.remove();
      p.file.evict(p);
    }
    long[] slots = new long[room];
    if (room == 0) {
      return slots;
    }
    long first = ram.allocateRun(room);
    int taken = 0;
    try {
      for (; taken < room; taken++) {
        slots[taken] = first >= 0 ? first + taken : ram.allocate();
      }
    } catch (VirtMemException e) {
      for (int i = 0; i < taken; i++) {
        ram.recycle(slots[i]);
      }
      throw e;
    }
    return slots;
  }

  /** Pages that closed writable mappings left dirty without changing them become evictable. */
  private boolean cleanUnchangedDirtyPages() {
    boolean any = false;
    for (FileHandle f : files) {
      for (Page p : f.pagesView()) {
        if (f.cleanIfUnchanged(p)) {
          touch(p);
          any = true;
        }
      }
    }
    return any;
  }

  private VirtMemException exhausted() {
    int pinned = 0;
    int dirty = 0;
    int loading = 0;
    int mappings = 0;
    for (FileHandle f : files) {
      for (Page p : f.pagesView()) {
        switch (p.state) {
          case DIRTY -> dirty++;
          case LOADING, LOADING_INVALIDATED -> loading++;
          case LOADED -> {
            if (p.pins > 0) {
              pinned++;
            }
          }
          case EMPTY -> {}
        }
      }
      mappings += f.openMappings();
    }
    return new VirtMemException(
        "virtmem RAM budget of "
            + budgetPages * ram.pageSize()
            + " bytes ("
            + budgetPages
            + " pages) exhausted: "
            + pinned
            + " clean pages pinned by "
            + mappings
            + " open mappings, "
            + dirty
            + " dirty, "
            + loading
            + " loading; close mappings or commit/abort to free pages");
  }

  /** Updates whether {@code p} may be evicted, and its place in the LRU order. */
  void touch(Page p) {
    assert lock.isHeldByCurrentThread();
    if (p.state == PageState.LOADED && p.pins == 0) {
      evictable.put(p, p);
    } else {
      evictable.remove(p);
    }
  }

  void forget(Page p) {
    evictable.remove(p);
  }

  /**
   * Closes every file and frees the RAM; open mappings become unusable. Background loads
   * (read-ahead) still writing into pages are waited for first, up to 30 s; if one is still running
   * then (its block's load is stuck), the RAM is left mapped rather than freed under it.
   */
  @Override
  public void close() {
    for (FileHandle f : files) {
      f.close();
    }
    loaders.shutdown();
    boolean idle;
    try {
      idle = loaders.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      idle = false;
    }
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        if (idle) {
          ram.close();
        } else {
          LoggerFactory.getLogger(VirtMem.class)
              .warn("closing virtmem while a block load still runs: its RAM is left mapped");
        }
      }
    } finally {
      lock.unlock();
    }
  }
}
