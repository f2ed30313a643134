package org.zbig.client.virtmem;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * The page map of one {@link BigFile}: which blocks are in RAM, in which state, and which mappings
 * show them. Blocks are read and written through {@link #map} ; {@link #writeout} stores changed
 * pages, {@link #discard} drops changes, {@link #invalidate} follows changes made elsewhere. All
 * page state transitions happen here, under virtmem's lock.
 */
public final class FileHandle implements AutoCloseable {
  /** What a test or a status page sees of one page. */
  public record PageInfo(PageState state, int pins, int mappings) {}

  private final VirtMem vm;
  private final BigFile file;
  private final Map<Long, Page> pages = new HashMap<>();
  private final Set<Mapping> mappings = new LinkedHashSet<>();
  private boolean closed;

  /** The page cache this handle's pages live in. */
  public VirtMem virtMem() {
    return vm;
  }

  FileHandle(VirtMem vm, BigFile file) {
    this.vm = vm;
    this.file = file;
  }

  /** The file. */
  public BigFile file() {
    return file;
  }

  Collection<Page> pagesView() {
    return pages.values();
  }

  int openMappings() {
    return mappings.size();
  }

  /**
   * Maps blocks {@code [blk, blk + count)}: they are loaded (in parallel, and the next few in the
   * background) and pinned, and the returned mapping shows them as one contiguous segment. A
   * read-only mapping's segment refuses writes; a writable one's pages are stored at {@link
   * #writeout} if their content changed.
   *
   * @throws VirtMemException if a block cannot be loaded or the RAM budget is exhausted; nothing
   *     stays pinned then
   */
  public Mapping map(long blk, long count, boolean writable) {
    if (blk < 0 || count < 1 || blk + count < blk) {
      throw new IllegalArgumentException(
          "blocks [" + blk + ", " + blk + " + " + count + ") (expected: blk >= 0, count >= 1)");
    }
    Map<Long, Started> started = new HashMap<>();
    vm.lock.lock();
    try {
      checkOpen();
      for (Started st : startLoads(blk, count)) {
        started.put(st.page().blk, st);
      }
    } finally {
      vm.lock.unlock();
    }
    // the first block loads in this thread, the others on loaders at the same time: a map of one
    // block (a fault-in) then costs no hand-over to a loader and back
    List<Future<Page>> loads = new ArrayList<>();
    FutureTask<Page> here = null;
    for (long b = blk; b < blk + count; b++) {
      long at = b;
      Started st = started.get(at);
      Callable<Page> task =
          () -> {
            Page p = st == null ? null : load(st, true);
            return p != null ? p : acquire(at); // not started here, or invalidated meanwhile
          };
      if (here == null) {
        here = new FutureTask<>(task);
        loads.add(here);
      } else {
        loads.add(vm.loaders.submit(task));
      }
    }
    here.run();
    List<Page> got = new ArrayList<>();
    Throwable failure = null;
    for (Future<Page> f : loads) {
      try {
        got.add(f.get());
      } catch (Exception e) {
        failure = failure == null ? (e.getCause() != null ? e.getCause() : e) : failure;
      }
    }
    if (failure != null) {
      unpin(got);
      throw failure instanceof VirtMemException v
          ? v
          : new VirtMemException("cannot map blocks of " + file + ": " + failure, failure);
    }
    if (writable) {
      // the content as loaded, before anything can write to it: what writeout compares with
      long[] sums = new long[got.size()];
      for (int i = 0; i < sums.length; i++) {
        sums[i] = Page.checksum(vm.ram.segment(got.get(i).slot));
      }
      vm.lock.lock();
      try {
        for (int i = 0; i < sums.length; i++) {
          Page p = got.get(i);
          if (!p.checksumValid && p.state == PageState.LOADED) {
            p.checksum = sums[i];
            p.checksumValid = true;
          }
        }
      } finally {
        vm.lock.unlock();
      }
    }
    prefetch(blk + count, vm.readAhead()); // read-ahead
    vm.lock.lock();
    try {
      checkOpen();
      Page[] shown = got.toArray(Page[]::new);
      Mapping m =
          !writable && consecutiveSlots(shown)
              ? Mapping.borrowed(this, vm.ram, blk, shown)
              : new Mapping(this, vm.ram, blk, shown, writable);
      mappings.add(m);
      for (Page p : got) {
        p.mappings.add(m);
        p.dropWhenFree = false; // mapped again: wanted after all
        if (writable && p.state == PageState.LOADED) {
          p.state = PageState.DIRTY; // may be written from now on
        }
        vm.touch(p);
      }
      return m;
    } catch (RuntimeException e) {
      unpinLocked(got);
      throw e;
    } finally {
      vm.lock.unlock();
    }
  }

  /** What {@link #read} does with each block. */
  @FunctionalInterface
  public interface BlockReader {
    /**
     * Reads one block's bytes: read-only, and valid only during the call (the page is pinned until
     * it returns).
     */
    void read(long blk, MemorySegment bytes) throws IOException;
  }

  /**
   * How many blocks {@link #read} keeps loading ahead of the one it hands out: at most a quarter of
   * the RAM budget.
   */
  static final int READ_WINDOW = 8;

  /**
   * Hands the bytes of blocks {@code [blk, blk + count)} to {@code reader} in order, without
   * mapping them: each block is loaded (up to {@link #READ_WINDOW} ahead, in parallel) and pinned
   * while the reader reads it. The bytes are those a read-only view would show. A streaming pass
   * leaves the cache as it found it: blocks that were in RAM stay, blocks this read loaded are
   * dropped once read, their slots reused by the next ones (a pass over a file bigger than the
   * budget then cycles through a few slots whose memory is already touched, instead of pushing the
   * cache's pages out). The reader gets each page through virtmem's own view of it, whose
   * page-table entries are in place: no first-touch cost of a new mapping.
   *
   * @throws VirtMemException if a block cannot be loaded or the RAM budget is exhausted; nothing
   *     stays pinned then
   */
  public void read(long blk, long count, BlockReader reader) throws IOException {
    if (blk < 0 || count < 0 || blk + count < blk) {
      throw new IllegalArgumentException(
          "blocks [" + blk + ", " + blk + " + " + count + ") (expected: blk >= 0, count >= 0)");
    }
    ArrayDeque<Future<Page>> window = new ArrayDeque<>();
    long ahead = Math.max(1, Math.min(READ_WINDOW, vm.budgetPages() / 4));
    Set<Long> loadedHere = new HashSet<>();
    long next = blk;
    try {
      for (long b = blk; b < blk + count; b++) {
        while (next < blk + count && next - b < ahead) {
          long at = next++;
          if (!cached(at)) {
            loadedHere.add(at);
          }
          window.add(vm.loaders.submit(() -> acquire(at)));
        }
        Page page = got(window.poll());
        try {
          reader.read(b, vm.ram.segment(page.slot).asReadOnly());
        } finally {
          unpinAndMaybeDrop(page, loadedHere.remove(b));
        }
      }
    } finally {
      // a failure: what is still loading is waited for and let go
      for (Future<Page> f : window) {
        try {
          Page p = f.get();
          unpinAndMaybeDrop(p, loadedHere.contains(p.blk));
        } catch (Exception e) {
          // its failure is not the first one
        }
      }
    }
  }

  private boolean cached(long blk) {
    vm.lock.lock();
    try {
      Page p = pages.get(blk);
      return p != null && p.state != PageState.EMPTY;
    } finally {
      vm.lock.unlock();
    }
  }

  /** Unpins a page {@link #read} held; one it loaded itself goes if nobody else uses it now. */
  private void unpinAndMaybeDrop(Page p, boolean loadedHere) {
    vm.lock.lock();
    try {
      unpinLocked(List.of(p));
      if (loadedHere) {
        dropIfFree(p);
      }
    } finally {
      vm.lock.unlock();
    }
  }

  private Page got(Future<Page> f) {
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof VirtMemException v
          ? v
          : new VirtMemException(
              "cannot read blocks of " + file + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VirtMemException("interrupted while reading blocks of " + file, e);
    }
  }

  /**
   * Gives back the RAM of blocks {@code [blk, blk + count)} now: a hint that a one-pass scan is
   * done with them. Each that is loaded, unchanged, unpinned and in no mapping is evicted and its
   * slot kept for the next load, so that a scan of more than the RAM budget cycles through a few
   * warm slots instead of filling the budget with fresh memory and evicting everything else (fresh
   * memory costs the kernel far more than reused memory; see docs/benchmarks.md). Changed, pinned
   * or mapped blocks stay.
   *
   * @return how many blocks were given back
   */
  public int dropBehind(long blk, long count) {
    if (blk < 0 || count < 0 || blk + count < blk) {
      throw new IllegalArgumentException(
          "blocks [" + blk + ", " + blk + " + " + count + ") (expected: blk >= 0, count >= 0)");
    }
    int dropped = 0;
    vm.lock.lock();
    try {
      for (long b = blk; b < blk + count; b++) {
        Page p = pages.get(b);
        if (p == null || p.state == PageState.EMPTY) {
          continue;
        }
        if (dropIfFree(p)) {
          dropped++;
        } else {
          p.dropWhenFree = true; // still loading, or in use: once it is free
        }
      }
    } finally {
      vm.lock.unlock();
    }
    return dropped;
  }

  /** Evicts {@code p} if it is loaded, unchanged and unused; with the lock held. */
  private boolean dropIfFree(Page p) {
    if (p.state == PageState.LOADED
        && p.pins == 0
        && p.waiters == 0
        && p.mappings.isEmpty()
        && pages.get(p.blk) == p) {
      vm.forget(p);
      evict(p);
      return true;
    }
    return false;
  }

  /** A page was unpinned: one {@link #dropBehind} marked goes if nothing uses it now. */
  private void released(Page p) {
    if (p.dropWhenFree && dropIfFree(p)) {
      p.dropWhenFree = false;
    }
  }

  /**
   * Starts loading blocks {@code [blk, blk + count)} in the background, without pinning them: a
   * hint that they will be mapped soon (the next piece of a scan), so that their loads overlap with
   * the work on the current one. Blocks already in RAM cost nothing; a block that cannot be loaded,
   * or finds no room in the RAM budget, is simply not there when mapped (the map loads it, or says
   * why not).
   *
   * @return completes when every block was tried; never exceptionally
   */
  public CompletableFuture<Void> prefetch(long blk, long count) {
    if (blk < 0 || count < 0 || blk + count < blk) {
      throw new IllegalArgumentException(
          "blocks [" + blk + ", " + blk + " + " + count + ") (expected: blk >= 0, count >= 0)");
    }
    List<Started> started;
    vm.lock.lock();
    try {
      checkOpen();
      started = startLoads(blk, count);
    } catch (VirtMemException e) {
      started = List.of(); // no RAM: only a hint, the map that needs the blocks says why not
    } finally {
      vm.lock.unlock();
    }
    List<CompletableFuture<Void>> loads = new ArrayList<>();
    for (Started st : started) {
      loads.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  load(st, false);
                } catch (RuntimeException e) {
                  // only a hint: the map that needs the block loads it or reports why not
                }
              },
              vm.loaders));
    }
    return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new));
  }

  /**
   * The page of {@code blk}, loaded and pinned. The races, as wendelin.core's virtmem draws them:
   *
   * <pre>
   *   T1 (maps blk)                          T2 (invalidates blk)
   *   (1) lock; page EMPTY -> LOADING
   *   (2) unlock; loadBlock(blk) ...
   *                                          (a) lock; LOADING -> LOADING_INVALIDATED; unlock
   *   (3) lock; sees LOADING_INVALIDATED:
   *       the data may be older than the
   *       invalidation: drop it, EMPTY, retry
   *   T3 (maps blk while T1 loads)
   *   (4) lock; page LOADING: wait for T1's load (no polling), then retry from the top
   * </pre>
   *
   * Loading without the lock avoids the deadlock of a loader that needs the database (and thus
   * other threads that may hold or wait for this lock) while every other user of virtmem waits.
   */
  Page acquire(long blk) {
    for (; ; ) {
      CompletableFuture<Void> wait;
      Page page;
      Started started = null;
      vm.lock.lock();
      try {
        checkOpen();
        page = pages.computeIfAbsent(blk, b -> new Page(this, b));
        switch (page.state) {
          case LOADED, DIRTY -> {
            page.pins++;
            vm.touch(page);
            return page;
          }
          case LOADING, LOADING_INVALIDATED -> {
            // (4) another thread loads it: wait outside the lock, then look again
            wait = page.loading;
            page.waiters++;
          }
          case EMPTY -> {
            // (1) no page: allocate, mark LOADING, unlock, load
            long slot;
            try {
              slot = vm.allocateSlot();
            } catch (RuntimeException e) {
              pages.remove(blk);
              throw e;
            }
            started = startLoad(page, slot);
            wait = null;
          }
          default -> throw new IllegalStateException("unknown state " + page.state);
        }
      } finally {
        vm.lock.unlock();
      }
      if (wait != null) {
        try {
          wait.join();
        } catch (CompletionException e) {
          noLongerWaiting(page);
          throw e.getCause() instanceof VirtMemException v
              ? v
              : new VirtMemException("loading block " + blk + " failed", e.getCause());
        }
        noLongerWaiting(page);
        continue;
      }
      Page loaded = load(started, true);
      if (loaded != null) {
        return loaded;
      }
    }
  }

  /** A load begun by {@link #startLoad}: the page, LOADING, and the slot it loads into. */
  private record Started(Page page, long slot, boolean stale, boolean untouched) {}

  /** (1) of {@link #acquire}, with the lock held: an EMPTY page is LOADING into {@code slot}. */
  private Started startLoad(Page page, long slot) {
    page.slot = slot;
    page.state = PageState.LOADING;
    page.loading = new CompletableFuture<>();
    return new Started(page, slot, vm.ram.stale(slot), vm.ram.takeUntouched(slot));
  }

  /**
   * (1) of {@link #acquire} for every block of {@code [blk, blk + count)} that is not in RAM, with
   * the lock held, their slots taken at once and in block order: consecutive slots where the RAM
   * has a run of them, so that a read-only mapping of the blocks can show the slots' own view
   * ({@link Mapping#borrowed}). Blocks the RAM budget has no room for are not started.
   */
  private List<Started> startLoads(long blk, long count) {
    List<Long> empty = new ArrayList<>();
    for (long b = blk; b < blk + count; b++) {
      Page p = pages.get(b);
      if (p == null || p.state == PageState.EMPTY) {
        empty.add(b);
      }
    }
    if (empty.isEmpty()) {
      return List.of();
    }
    long[] slots = vm.allocateSlots(empty.size());
    List<Started> out = new ArrayList<>(slots.length);
    for (int i = 0; i < slots.length; i++) {
      Page page = pages.computeIfAbsent(empty.get(i), b -> new Page(this, b));
      out.add(startLoad(page, slots[i]));
    }
    return out;
  }

  /**
   * (2) and (3) of {@link #acquire}: loads a page this thread {@linkplain #startLoad started}
   * without the lock, then publishes it, pinned if {@code pin}.
   *
   * @return the page; null if it was invalidated while loading (it is EMPTY again: look again)
   */
  private Page load(Started started, boolean pin) {
    Page page = started.page();
    long blk = page.blk;
    // (2) load without the lock: a fresh slot reads as zeros (allocated, or a punched hole), a
    // recycled one holds left-over bytes, which the file writes over
    MemorySegment mem = vm.ram.segment(started.slot());
    Throwable failed = null;
    try {
      if (started.untouched()) {
        vm.ram.touch(started.slot()); // here, not in the network thread's copy (see Ram)
      }
      if (started.stale()) {
        file.loadBlockOver(blk, mem);
      } else {
        file.loadBlock(blk, mem);
      }
    } catch (RuntimeException | Error e) {
      failed = e;
    }
    CompletableFuture<Void> done;
    vm.lock.lock();
    try {
      done = page.loading;
      if (failed != null) {
        // a failing load fails every waiter and leaves the page EMPTY
        page.state = PageState.EMPTY;
        page.loading = null;
        vm.ram.recycle(page.slot);
        page.slot = -1;
        pages.remove(blk);
        VirtMemException e =
            new VirtMemException(
                "loading block " + blk + " of " + file + " failed: " + failed, failed);
        done.completeExceptionally(e);
        throw e;
      }
      if (page.state == PageState.LOADING_INVALIDATED) {
        // (3) invalidated while loading: drop the result, retry
        page.state = PageState.EMPTY;
        page.loading = null;
        vm.ram.recycle(page.slot);
        page.slot = -1;
        done.complete(null);
        return null;
      }
      checkState(page.state == PageState.LOADING, page);
      page.state = PageState.LOADED;
      page.loading = null;
      page.checksumValid = false; // taken when the page is first mapped writable
      if (pin) {
        page.pins++;
      }
      vm.touch(page);
      done.complete(null);
      if (!pin) {
        released(page);
      }
      return page;
    } finally {
      vm.lock.unlock();
    }
  }

  /** Whether the pages sit in consecutive slots, in order. */
  private static boolean consecutiveSlots(Page[] shown) {
    for (int i = 1; i < shown.length; i++) {
      if (shown[i].slot != shown[0].slot + i) {
        return false;
      }
    }
    return true;
  }

  private void noLongerWaiting(Page page) {
    vm.lock.lock();
    try {
      page.waiters--;
    } finally {
      vm.lock.unlock();
    }
  }

  /** Threads waiting for the load of {@code blk} now (for tests of the races). */
  int waitersOf(long blk) {
    vm.lock.lock();
    try {
      Page p = pages.get(blk);
      return p == null ? 0 : p.waiters;
    } finally {
      vm.lock.unlock();
    }
  }

  private static void checkState(boolean ok, Page p) {
    if (!ok) {
      throw new IllegalStateException("virtmem bug: unexpected " + p);
    }
  }

  private void unpin(List<Page> ps) {
    vm.lock.lock();
    try {
      unpinLocked(ps);
    } finally {
      vm.lock.unlock();
    }
  }

  private void unpinLocked(List<Page> ps) {
    for (Page p : ps) {
      checkState(p.pins > 0, p);
      p.pins--;
      vm.touch(p);
      released(p);
    }
  }

  /** Closes a mapping: unmaps it and unpins its pages. */
  void closeMapping(Mapping m) {
    vm.lock.lock();
    try {
      if (m.closeLocked()) {
        unmapped(m);
      }
    } finally {
      vm.lock.unlock();
    }
  }

  private void unmapped(Mapping m) {
    mappings.remove(m);
    for (Page p : m.pages()) {
      p.mappings.remove(m);
      checkState(p.pins > 0, p);
      p.pins--;
      vm.touch(p);
      released(p);
    }
  }

  /**
   * Cleans a page left {@link PageState#DIRTY} by a closed writable mapping if its content did not
   * change, so that reclaim may evict it; with the lock held.
   *
   * @return whether it is now evictable
   */
  boolean cleanIfUnchanged(Page p) {
    if (p.state != PageState.DIRTY || p.pins > 0 || !p.mappings.isEmpty()) {
      return false;
    }
    if (Page.checksum(vm.ram.segment(p.slot)) != p.checksum) {
      return false;
    }
    p.state = PageState.LOADED;
    return true;
  }

  /** Evicts a clean, unpinned page (reclaim), with the lock held; its slot is kept for reuse. */
  void evict(Page p) {
    checkState(p.state == PageState.LOADED && p.pins == 0 && p.mappings.isEmpty(), p);
    vm.ram.recycle(p.slot);
    p.slot = -1;
    p.state = PageState.EMPTY;
    pages.remove(p.blk);
  }

  /** Drops a page; its slot is kept for reuse ({@code keep}) or its memory released. */
  private void drop(Page p, boolean keep) {
    vm.forget(p);
    if (keep) {
      vm.ram.recycle(p.slot);
    } else {
      vm.ram.release(p.slot);
    }
    p.slot = -1;
    p.state = PageState.EMPTY;
    pages.remove(p.blk);
  }

  /**
   * Stores every page whose content changed since it was loaded or last stored, through {@link
   * BigFile#storeBlock}, outside the lock. Pages still mapped writable stay {@link PageState#DIRTY}
   * (they may be written again); the others become {@link PageState#LOADED}.
   *
   * @return the blocks stored, in order
   */
  public List<Long> writeout() {
    List<Page> dirty = dirtyPages();
    List<Long> stored = new ArrayList<>();
    for (Page p : dirty) {
      MemorySegment mem = vm.ram.segment(p.slot).asReadOnly();
      long sum = Page.checksum(mem);
      if (sum != p.checksum) {
        file.storeBlock(p.blk, mem);
        stored.add(p.blk);
      }
      vm.lock.lock();
      try {
        p.checksum = sum;
        p.checksumValid = true;
        p.pins--;
        if (!p.writableMapped()) {
          p.state = PageState.LOADED;
        }
        vm.touch(p);
      } finally {
        vm.lock.unlock();
      }
    }
    return stored;
  }

  /** The dirty pages, in block order, pinned so that they stay while the lock is released. */
  private List<Page> dirtyPages() {
    vm.lock.lock();
    try {
      checkOpen();
      List<Page> out = new ArrayList<>();
      for (Page p : new TreeMap<>(pages).values()) {
        if (p.state == PageState.DIRTY) {
          p.pins++;
          out.add(p);
        }
      }
      return out;
    } finally {
      vm.lock.unlock();
    }
  }

  /**
   * Drops the changes of dirty pages: a changed page that is mapped or pinned (a map in progress)
   * is loaded again in place (its mappings show the stored content at the same addresses), one that
   * is neither is dropped.
   */
  public void discard() {
    List<Page> dirty = dirtyPages();
    List<Page> reload = new ArrayList<>();
    vm.lock.lock();
    try {
      for (Page p : dirty) {
        p.pins--;
        boolean changed = Page.checksum(vm.ram.segment(p.slot)) != p.checksum;
        if (!p.mappings.isEmpty()) {
          if (changed) {
            p.pins++; // held from here: nothing evicts it before it is loaded again
            reload.add(p);
          }
          if (!p.writableMapped()) {
            p.state = PageState.LOADED;
          }
        } else if (changed && p.pins > 0) {
          // pinned, not mapped yet: another thread's map holds it; as invalidate does, load it
          // again in place rather than pull the slot from under that map
          p.pins++; // held from here: nothing evicts it before it is loaded again
          reload.add(p);
          p.state = PageState.LOADED;
        } else if (changed) {
          drop(p, true);
        } else {
          p.state = PageState.LOADED;
        }
        vm.touch(p);
      }
    } finally {
      vm.lock.unlock();
    }
    reloadInPlace(reload);
  }

  /**
   * Forgets blocks {@code blk} and after, whose data the file just dropped (a shrink): their pages
   * go, changed or not; a page being loaded, or pinned by a map in progress, is loaded again (the
   * file now says what it holds).
   *
   * @throws IllegalStateException naming the block if one of them is shown by an open mapping;
   *     nothing is dropped then
   */
  public void truncate(long blk) {
    List<Long> gone = new ArrayList<>();
    vm.lock.lock();
    try {
      checkOpen();
      for (Page p : pages.values()) {
        if (p.blk >= blk) {
          if (!p.mappings.isEmpty()) {
            throw new IllegalStateException(
                "block "
                    + p.blk
                    + " of "
                    + file
                    + " is mapped (expected: no open view at or after block "
                    + blk
                    + " when the file shrinks; close them first)");
          }
          gone.add(p.blk);
        }
      }
    } finally {
      vm.lock.unlock();
    }
    invalidate(gone);
  }

  /**
   * Follows changes made elsewhere to blocks {@code blks} (at a transaction boundary): a block
   * being loaded is loaded again, a mapped one is loaded again in place, others are dropped.
   */
  public void invalidate(Collection<Long> blks) {
    List<Page> reload = new ArrayList<>();
    vm.lock.lock();
    try {
      checkOpen();
      for (long blk : blks) {
        Page p = pages.get(blk);
        if (p == null) {
          continue;
        }
        switch (p.state) {
          case EMPTY -> {}
          case LOADING -> p.state = PageState.LOADING_INVALIDATED; // (a) in acquire's timeline
          case LOADING_INVALIDATED -> {}
          case LOADED, DIRTY -> {
            if (p.mappings.isEmpty() && p.pins == 0) {
              drop(p, true);
            } else {
              p.pins++; // held from here: nothing evicts it before it is loaded again
              reload.add(p);
            }
          }
        }
      }
    } finally {
      vm.lock.unlock();
    }
    reloadInPlace(reload);
  }

  /**
   * Loads pages again, each pinned by the caller under the lock it found them with (else another
   * thread could unmap and evict one in between), and unpins them: into new slots that, under the
   * lock, are then mapped at the same addresses in every mapping that shows them (the reverse map),
   * the old slots freed (a page a {@linkplain Mapping#borrowed borrowed} mapping shows cannot move:
   * the new bytes are copied into its slot, under the lock); or, when the RAM budget has no room
   * for a new slot, into the page's own slot (readers of the page see the new bytes arrive, which
   * at a transaction boundary nobody should be reading).
   */
  private void reloadInPlace(List<Page> reload) {
    if (reload.isEmpty()) {
      return;
    }
    long[] slots = new long[reload.size()];
    boolean[] own = new boolean[reload.size()];
    vm.lock.lock();
    try {
      for (int i = 0; i < slots.length; i++) {
        Page p = reload.get(i); // pinned by the caller, under the lock that found it
        vm.touch(p);
        try {
          slots[i] = vm.allocateSlot();
        } catch (VirtMemException full) {
          slots[i] = p.slot;
          own[i] = true;
        }
      }
    } finally {
      vm.lock.unlock();
    }
    List<Future<Long>> sums = new ArrayList<>();
    for (int i = 0; i < slots.length; i++) {
      Page p = reload.get(i);
      long slot = slots[i];
      sums.add(
          vm.loaders.submit(() -> {
            MemorySegment mem = vm.ram.segment(slot);
            file.loadBlockOver(p.blk, mem);
            return Page.checksum(mem);
          }));
    }
    Throwable failure = null;
    long[] checksums = new long[slots.length];
    for (int i = 0; i < slots.length; i++) {
      try {
        checksums[i] = sums.get(i).get();
      } catch (Exception e) {
        failure = failure == null ? (e.getCause() != null ? e.getCause() : e) : failure;
      }
    }
    boolean broken = false;
    vm.lock.lock();
    try {
      for (int i = 0; i < slots.length; i++) {
        Page p = reload.get(i);
        p.pins--;
        if (failure != null) {
          if (own[i]) {
            broken = true; // its bytes are partly new: the caller must not go on with it
            p.checksum = Page.checksum(vm.ram.segment(p.slot)) + 1; // differs: never "clean"
          } else {
            vm.ram.recycle(slots[i]);
          }
          vm.touch(p);
          continue;
        }
        if (!own[i] && p.inBorrowedMapping()) {
          // a borrowed mapping shows the slot itself, which cannot move: the new bytes go into it
          MemorySegment.copy(vm.ram.segment(slots[i]), 0, vm.ram.segment(p.slot), 0, vm.pageSize());
          vm.ram.recycle(slots[i]);
        } else if (!own[i]) {
          for (Mapping m : p.mappings) {
            m.remap(p, slots[i]);
          }
          vm.ram.recycle(p.slot);
          p.slot = slots[i];
        }
        p.checksum = checksums[i];
        p.checksumValid = true;
        p.state = p.writableMapped() ? PageState.DIRTY : PageState.LOADED;
        vm.touch(p);
      }
    } finally {
      vm.lock.unlock();
    }
    if (failure != null) {
      throw new VirtMemException(
          "reloading changed blocks of "
              + file
              + " failed; "
              + (broken
                  ? "some mappings show partly reloaded pages: close them"
                  : "mappings still show the old content"),
          failure);
    }
  }

  /** The page table: state, pins and mappings of every page present, by block. */
  public Map<Long, PageInfo> pageTable() {
    vm.lock.lock();
    try {
      Map<Long, PageInfo> out = new TreeMap<>();
      for (Page p : pages.values()) {
        out.put(p.blk, new PageInfo(p.state, p.pins, p.mappings.size()));
      }
      return out;
    } finally {
      vm.lock.unlock();
    }
  }

  private void checkOpen() {
    vm.checkOpen();
    if (closed) {
      throw new IllegalStateException("file handle closed");
    }
  }

  /** Closes every mapping and frees this file's pages; dirty pages are dropped. */
  @Override
  public void close() {
    for (Mapping m : List.copyOf(mappings())) {
      m.close();
    }
    vm.lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Mapping m : List.copyOf(mappings)) {
        // one a racing map added after the loop above: a borrowed one must not outlive the RAM
        if (m.closeLocked()) {
          unmapped(m);
        }
      }
      for (Page p : List.copyOf(pages.values())) {
        if (p.slot >= 0
            && p.state != PageState.LOADING
            && p.state != PageState.LOADING_INVALIDATED) {
          drop(p, false); // a closed file gives its RAM back
        }
      }
      vm.files.remove(this);
    } finally {
      vm.lock.unlock();
    }
  }

  private List<Mapping> mappings() {
    vm.lock.lock();
    try {
      return List.copyOf(mappings);
    } finally {
      vm.lock.unlock();
    }
  }

  /** Maps {@code slot} at {@code address} (MAP_FIXED over the reservation). */
  static void mapSlot(Ram ram, long address, long slot, boolean writable) {
    try {
      LibC.C.mmap(
          new Pointer(address),
          ram.pageSize(),
          writable ? LibC.PROT_READ | LibC.PROT_WRITE : LibC.PROT_READ,
          LibC.MAP_SHARED | LibC.MAP_FIXED | LibC.MAP_POPULATE, // page tables now, not 512 faults
          ram.fd(),
          slot * ram.pageSize());
    } catch (LastErrorException e) {
      throw new VirtMemException("cannot map a virtmem page: " + e.getMessage(), e);
    }
  }
}
