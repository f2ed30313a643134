package org.zbig.client.virtmem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.zbig.client.virtmem.FileHandle.PageInfo;

/** The page cache over an in-memory file, asserting the whole page table after each step. */
class VirtMemTest {
  static final int PAGE = 4096;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  private VirtMem vm(int budgetPages, int readAhead) {
    VirtMem vm = new VirtMem(PAGE, (long) budgetPages * PAGE, readAhead);
    open.add(vm);
    return vm;
  }

  /** A file of blocks in byte arrays, counting loads and stores; hooks for races. */
  static class MemFile implements BigFile {
    final Map<Long, byte[]> blocks = new ConcurrentHashMap<>();
    final Map<Long, AtomicInteger> loads = new ConcurrentHashMap<>();
    final List<Long> stores = new ArrayList<>();
    volatile Runnable beforeLoad = () -> {};
    volatile java.util.function.LongConsumer beforeLoadOf = blk -> {};
    volatile long failing = -1;

    @Override
    public long blockSize() {
      return PAGE;
    }

    void set(long blk, int value) {
      byte[] b = new byte[PAGE];
      Arrays.fill(b, (byte) value);
      blocks.put(blk, b);
    }

    @Override
    public void loadBlock(long blk, MemorySegment page) {
      loads.computeIfAbsent(blk, b -> new AtomicInteger()).incrementAndGet();
      beforeLoad.run();
      beforeLoadOf.accept(blk);
      if (blk == failing) {
        throw new IllegalStateException("disk on fire at block " + blk);
      }
      byte[] b = blocks.get(blk);
      if (b != null) {
        MemorySegment.copy(b, 0, page, ValueLayout.JAVA_BYTE, 0, PAGE);
      }
    }

    @Override
    public synchronized void storeBlock(long blk, MemorySegment page) {
      blocks.put(blk, page.toArray(ValueLayout.JAVA_BYTE));
      stores.add(blk);
    }

    int loads(long blk) {
      AtomicInteger n = loads.get(blk);
      return n == null ? 0 : n.get();
    }
  }

  private static PageInfo info(PageState s, int pins, int mappings) {
    return new PageInfo(s, pins, mappings);
  }

  @Test
  void aMappingLoadsItsBlocksPinsThemAndShowsThemContiguously() {
    MemFile f = new MemFile();
    f.set(0, 1);
    f.set(2, 3); // block 1 is a hole: zeros
    FileHandle h = vm(8, 0).open(f);
    try (Mapping m = h.map(0, 3, false)) {
      assertThat(h.pageTable())
          .containsExactly(
              Map.entry(0L, info(PageState.LOADED, 1, 1)),
              Map.entry(1L, info(PageState.LOADED, 1, 1)),
              Map.entry(2L, info(PageState.LOADED, 1, 1)));
      MemorySegment s = m.segment();
      assertThat(s.byteSize()).isEqualTo(3 * PAGE);
      assertThat(s.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
      assertThat(s.get(ValueLayout.JAVA_BYTE, PAGE + 17)).isZero();
      assertThat(s.get(ValueLayout.JAVA_BYTE, 3L * PAGE - 1)).isEqualTo((byte) 3);
      assertThatThrownBy(() -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 9))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("read-only");
    }
    assertThat(h.pageTable())
        .allSatisfy((b, i) -> assertThat(i).isEqualTo(info(PageState.LOADED, 0, 0)));
    assertThat(f.stores).isEmpty();
  }

  @Test
  void blocksMappedTogetherTakeConsecutiveSlotsAndAReadOnlyMapOfThemShowsTheSlotsOwnView() {
    MemFile f = new MemFile();
    for (int b = 0; b < 8; b++) {
      f.set(b, 10 + b);
    }
    VirtMem vm = vm(8, 0);
    FileHandle h = vm.open(f);
    MemorySegment kept;
    try (Mapping m = h.map(0, 4, false)) {
      assertThat(m.isBorrowed()).isTrue();
      MemorySegment s = m.segment();
      assertThat(s.byteSize()).isEqualTo(4 * PAGE);
      for (int b = 0; b < 4; b++) {
        assertThat(s.get(ValueLayout.JAVA_BYTE, (long) b * PAGE + 5)).isEqualTo((byte) (10 + b));
      }
      assertThatThrownBy(() -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 9))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("read-only");
      assertThat(h.pageTable()).hasSize(4).allSatisfy((b, i) -> assertThat(i.pins()).isOne());
      kept = s;
    }
    assertThatThrownBy(() -> kept.get(ValueLayout.JAVA_BYTE, 0))
        .isInstanceOf(IllegalStateException.class);
    assertThat(h.pageTable())
        .allSatisfy((b, i) -> assertThat(i).isEqualTo(info(PageState.LOADED, 0, 0)));
    // a scan's drop-behind: the next blocks take the slots given back, as one run again
    assertThat(h.dropBehind(0, 4)).isEqualTo(4);
    try (Mapping m = h.map(4, 4, false)) {
      assertThat(m.isBorrowed()).isTrue();
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 3L * PAGE)).isEqualTo((byte) 17);
      assertThat(vm.ram.used() + vm.ram.kept()).isEqualTo(4); // the same four slots
    }
    // a writable mapping is always a mapping of its own
    try (Mapping m = h.map(4, 2, true)) {
      assertThat(m.isBorrowed()).isFalse();
    }
  }

  @Test
  void aReadOnlyMapOfBlocksInScatteredSlotsIsAMappingOfItsOwnAndShowsThemInOrder() {
    MemFile f = new MemFile();
    for (int b = 0; b < 3; b++) {
      f.set(b, 20 + b);
    }
    FileHandle h = vm(8, 0).open(f);
    h.map(2, 1, false).close(); // block 2 first: slot 0
    h.map(0, 1, false).close(); // block 0: slot 1
    try (Mapping m = h.map(0, 3, false)) { // block 1: slot 2
      assertThat(m.isBorrowed()).isFalse();
      MemorySegment s = m.segment();
      for (int b = 0; b < 3; b++) {
        assertThat(s.get(ValueLayout.JAVA_BYTE, (long) b * PAGE + 7)).isEqualTo((byte) (20 + b));
      }
    }
  }

  @Test
  void aBorrowedMappingSeesAnInvalidatedPageReloadedIntoItsSlotAndAFailedReloadChangesNothing() {
    MemFile f = new MemFile();
    f.set(0, 1);
    f.set(1, 1);
    FileHandle h = vm(8, 0).open(f);
    try (Mapping m = h.map(0, 2, false)) {
      assertThat(m.isBorrowed()).isTrue();
      f.set(1, 2);
      h.invalidate(List.of(1L));
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, PAGE + 100L)).isEqualTo((byte) 2);
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 100)).isEqualTo((byte) 1);
      f.set(0, 3);
      f.failing = 0;
      assertThatThrownBy(() -> h.invalidate(List.of(0L)))
          .isInstanceOf(VirtMemException.class)
          .hasMessageContaining("mappings still show the old content");
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 100)).isEqualTo((byte) 1);
      f.failing = -1;
      h.invalidate(List.of(0L));
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 100)).isEqualTo((byte) 3);
    }
    assertThat(h.pageTable())
        .containsExactly(
            Map.entry(0L, info(PageState.LOADED, 0, 0)),
            Map.entry(1L, info(PageState.LOADED, 0, 0)));
  }

  @Test
  void freshSlotMemoryIsTouchedByItsFirstTakerOnlyAndStillReadsAsZeros() {
    try (Ram ram = new Ram(PAGE)) {
      long a = ram.allocate();
      assertThat(ram.takeUntouched(a)).as("new memory").isTrue();
      assertThat(ram.takeUntouched(a)).as("the first taker owns the touch").isFalse();
      ram.touch(a);
      MemorySegment m = ram.segment(a);
      assertThat(m.mismatch(MemorySegment.ofArray(new byte[PAGE]))).isEqualTo(-1L);
      m.set(ValueLayout.JAVA_BYTE, 5, (byte) 7);
      ram.recycle(a);
      long b = ram.allocate();
      assertThat(b).as("the kept slot").isEqualTo(a);
      assertThat(ram.takeUntouched(b)).as("kept memory was written").isFalse();
      ram.release(b);
      long c = ram.allocate();
      assertThat(c).as("the freed slot, allocated again").isEqualTo(a);
      assertThat(ram.takeUntouched(c)).as("its memory punched out and allocated anew").isTrue();
      assertThat(ram.segment(c).get(ValueLayout.JAVA_BYTE, 5)).isZero();
    }
  }

  @Test
  void ramRunsComeFromGivenBackSlotsAndGrowTheRamOnlyWhenNoneIsKept() {
    try (Ram ram = new Ram(PAGE)) {
      long a = ram.allocateRun(4);
      assertThat(a).isZero(); // nothing kept: new slots
      long b = ram.allocate();
      assertThat(b).isEqualTo(4);
      ram.recycle(1);
      ram.recycle(2);
      assertThat(ram.allocateRun(3)).isEqualTo(-1); // kept 1, 2 but 3 in use: no growing either
      assertThat(ram.used()).isEqualTo(3);
      ram.recycle(3);
      assertThat(ram.allocateRun(3)).isEqualTo(1);
      assertThat(ram.kept()).isZero();
      ram.release(0);
      assertThat(ram.allocate()).isZero(); // the lowest free one
      assertThat(ram.used()).isEqualTo(5);
    }
  }

  @Test
  void reclaimedSlotsAreReusedWithoutGrowingTheRamAndHolesStillReadAsZeros() {
    MemFile f = new MemFile();
    f.set(0, 0xAB);
    f.set(1, 0xCD);
    VirtMem vm = vm(2, 0);
    FileHandle h = vm.open(f);
    try (Mapping m = h.map(0, 2, true)) {
      m.segment().set(ValueLayout.JAVA_BYTE, 5, (byte) 7); // a change, then dropped below
    }
    h.discard();
    h.map(1, 1, false).close();
    // blocks 8 and 9 are holes: they take the slots of 0 and 1, whose bytes must not show
    try (Mapping m = h.map(8, 2, false)) {
      assertThat(m.segment().toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
      assertThat(vm.ram.used()).isEqualTo(2);
      assertThat(vm.ram.kept()).isZero();
    }
    // a block loaded into a recycled slot shows exactly its bytes
    try (Mapping m = h.map(1, 1, false)) {
      assertThat(m.segment().toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0xCD);
    }
    assertThat(vm.ram.used() + vm.ram.kept()).isEqualTo(2); // never more RAM than the budget
    h.close();
    assertThat(vm.ram.used()).isZero();
  }

  @Test
  void readHandsOutBlocksInOrderAndLeavesTheCacheAsItFoundIt() throws Exception {
    MemFile f = new MemFile();
    for (int b = 0; b < 40; b++) {
      if (b % 7 != 3) { // some holes
        f.set(b, b + 1);
      }
    }
    VirtMem vm = vm(12, 0);
    FileHandle h = vm.open(f);
    h.map(5, 2, false).close(); // blocks 5 and 6 in the cache before the read
    List<Long> seen = new ArrayList<>();
    h.read(
        2,
        36,
        (blk, bytes) -> {
          seen.add(blk);
          assertThat(bytes.byteSize()).isEqualTo(PAGE);
          assertThat(bytes.toArray(ValueLayout.JAVA_BYTE))
              .containsOnly((byte) (blk % 7 == 3 ? 0 : blk + 1));
          assertThat(bytes.isReadOnly()).isTrue();
          // the page being read is pinned: nothing can evict or reuse it meanwhile
          assertThat(h.pageTable().get(blk).pins()).isEqualTo(1);
        });
    assertThat(seen).isEqualTo(java.util.stream.LongStream.range(2, 38).boxed().toList());
    // 36 blocks through a 12-page budget with nothing else evicted: the two cached blocks stay,
    // those the read loaded are gone, and it cycled through a few slots only
    assertThat(h.pageTable())
        .containsOnlyKeys(5L, 6L)
        .allSatisfy((b, i) -> assertThat(i).isEqualTo(info(PageState.LOADED, 0, 0)));
    assertThat(vm.ram.used() + vm.ram.kept())
        .isLessThanOrEqualTo(2 + FileHandle.READ_WINDOW / 4 + 2);
    for (long b = 2; b < 38; b++) {
      assertThat(f.loads(b)).as("loads of block %d", b).isEqualTo(1);
    }
  }

  @Test
  void aReadThatFailsLeavesNothingPinned() {
    MemFile f = new MemFile();
    for (int b = 0; b < 10; b++) {
      f.set(b, 9);
    }
    FileHandle h = vm(16, 0).open(f);
    f.failing = 6;
    List<Long> seen = new ArrayList<>();
    assertThatThrownBy(() -> h.read(0, 10, (blk, bytes) -> seen.add(blk)))
        .isInstanceOf(VirtMemException.class)
        .hasMessageContaining("disk on fire at block 6");
    assertThat(seen).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    assertThat(h.pageTable()).allSatisfy((b, i) -> assertThat(i.pins()).isZero());
    f.failing = -1;
    // a reader's own failure goes out as it is, and unpins too
    assertThatThrownBy(() ->
            h.read(
                0,
                10,
                (blk, bytes) -> {
                  if (blk == 2) {
                    throw new java.io.IOException("no room for block " + blk);
                  }
                }))
        .isInstanceOf(java.io.IOException.class)
        .hasMessage("no room for block 2");
    assertThat(h.pageTable()).allSatisfy((b, i) -> assertThat(i.pins()).isZero());
  }

  @Test
  void prefetchLoadsBlocksInTheBackgroundUnpinnedAndAMapThenLoadsNothing() {
    MemFile f = new MemFile();
    f.set(2, 2);
    f.set(3, 3);
    FileHandle h = vm(2, 0).open(f);
    h.prefetch(2, 2).join();
    assertThat(h.pageTable())
        .containsExactly(
            Map.entry(2L, info(PageState.LOADED, 0, 0)),
            Map.entry(3L, info(PageState.LOADED, 0, 0)));
    try (Mapping m = h.map(2, 2, false)) {
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, PAGE)).isEqualTo((byte) 3);
    }
    assertThat(f.loads(2)).isEqualTo(1);
    assertThat(f.loads(3)).isEqualTo(1);
    h.prefetch(2, 2).join(); // already there: nothing loaded again
    assertThat(f.loads(2)).isEqualTo(1);
    // beyond the budget, with every page pinned: only a hint, nothing thrown, nothing pinned
    try (Mapping m = h.map(2, 2, false)) {
      h.prefetch(5, 3).join();
      assertThat(h.pageTable().keySet()).containsExactly(2L, 3L);
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 2);
    }
    f.failing = 7;
    h.prefetch(6, 2).join(); // a failing load: nothing thrown; block 6 is there, 7 is not
    assertThat(h.pageTable()).containsKey(6L).doesNotContainKey(7L);
    assertThatThrownBy(() -> h.prefetch(-1, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aClosedMappingThrowsInsteadOfCrashing() {
    MemFile f = new MemFile();
    FileHandle h = vm(4, 0).open(f);
    Mapping m = h.map(0, 1, true);
    MemorySegment s = m.segment();
    m.close();
    m.close(); // idempotent
    assertThatThrownBy(() -> s.get(ValueLayout.JAVA_BYTE, 0))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void writtenPagesAreStoredOnlyIfTheirContentChanged() {
    MemFile f = new MemFile();
    f.set(0, 5);
    FileHandle h = vm(8, 0).open(f);
    try (Mapping rw = h.map(0, 3, true);
        Mapping ro = h.map(1, 1, false)) {
      assertThat(h.pageTable())
          .containsExactly(
              Map.entry(0L, info(PageState.DIRTY, 1, 1)),
              Map.entry(1L, info(PageState.DIRTY, 2, 2)),
              Map.entry(2L, info(PageState.DIRTY, 1, 1)));
      rw.segment().set(ValueLayout.JAVA_BYTE, PAGE + 10, (byte) 42); // block 1
      rw.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 5); // block 0: the same value
      // two mirrors of one RAM page: the read-only view sees the write
      assertThat(ro.segment().get(ValueLayout.JAVA_BYTE, 10)).isEqualTo((byte) 42);
      assertThat(h.writeout()).containsExactly(1L);
      assertThat(f.blocks.get(1L)[10]).isEqualTo((byte) 42);
      // still mapped writable: still possibly dirty, but nothing new to store
      assertThat(h.pageTable().get(1L)).isEqualTo(info(PageState.DIRTY, 2, 2));
      assertThat(h.writeout()).isEmpty();
    }
    assertThat(h.pageTable().values()).allMatch(i -> i.state() == PageState.DIRTY && i.pins() == 0);
    assertThat(h.writeout()).isEmpty();
    assertThat(h.pageTable().values()).allMatch(i -> i.equals(info(PageState.LOADED, 0, 0)));
  }

  @Test
  void discardBringsBackTheStoredContentInPlace() {
    MemFile f = new MemFile();
    f.set(0, 7);
    FileHandle h = vm(8, 0).open(f);
    try (Mapping rw = h.map(0, 2, true)) {
      MemorySegment s = rw.segment();
      s.set(ValueLayout.JAVA_BYTE, 3, (byte) 1);
      s.set(ValueLayout.JAVA_BYTE, PAGE + 3, (byte) 1);
      h.discard();
      assertThat(s.get(ValueLayout.JAVA_BYTE, 3)).isEqualTo((byte) 7);
      assertThat(s.get(ValueLayout.JAVA_BYTE, PAGE + 3)).isZero();
      assertThat(h.writeout()).isEmpty();
      assertThat(f.stores).isEmpty();
    }
    // a dirty page that is no longer mapped is dropped by discard
    try (Mapping rw = h.map(0, 1, true)) {
      rw.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 9);
    }
    h.discard();
    assertThat(h.pageTable()).doesNotContainKey(0L);
    try (Mapping ro = h.map(0, 1, false)) {
      assertThat(ro.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);
    }
  }

  @Test
  void invalidationDropsUnmappedPagesAndReloadsMappedOnesInPlace() {
    MemFile f = new MemFile();
    f.set(0, 1);
    f.set(1, 1);
    FileHandle h = vm(8, 0).open(f);
    h.map(0, 1, false).close(); // block 0 loaded, not mapped
    try (Mapping m = h.map(1, 1, false);
        Mapping m2 = h.map(1, 1, false)) {
      f.set(0, 2);
      f.set(1, 2);
      h.invalidate(List.of(0L, 1L, 7L));
      assertThat(h.pageTable()).containsExactly(Map.entry(1L, info(PageState.LOADED, 2, 2)));
      // same addresses, new snapshot, in both mappings (the reverse map)
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 100)).isEqualTo((byte) 2);
      assertThat(m2.segment().get(ValueLayout.JAVA_BYTE, 100)).isEqualTo((byte) 2);
    }
    try (Mapping m = h.map(0, 1, false)) {
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 2);
    }
    assertThat(f.loads(0)).isEqualTo(2);
  }

  @Test
  void reclaimEvictsCleanUnpinnedPagesAndAFullBudgetIsAClearError() {
    MemFile f = new MemFile();
    VirtMem vm = vm(4, 0);
    FileHandle h = vm.open(f);
    for (long b = 0; b < 20; b++) {
      f.set(b, (int) b);
      try (Mapping m = h.map(b, 1, false)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) b);
      }
      assertThat(vm.pagesInRam()).isLessThanOrEqualTo(4);
    }
    // LRU: the last four stay
    assertThat(h.pageTable().keySet()).containsExactly(16L, 17L, 18L, 19L);
    try (Mapping pinned = h.map(0, 3, false);
        Mapping dirty = h.map(10, 1, true)) {
      assertThatThrownBy(() -> h.map(5, 1, false))
          .isInstanceOf(VirtMemException.class)
          .hasMessageContaining("RAM budget of 16384 bytes (4 pages) exhausted")
          .hasMessageContaining("3 clean pages pinned by 2 open mappings, 1 dirty");
      assertThat(pinned.segment().get(ValueLayout.JAVA_BYTE, 0)).isZero();
      assertThat(dirty.writable()).isTrue();
    }
    assertThat(h.pageTable().values()).allMatch(i -> i.pins() == 0);
  }

  @Test
  void aFailingLoadFailsTheMappingAndLeavesNothingPinned() {
    MemFile f = new MemFile();
    f.failing = 2;
    FileHandle h = vm(8, 0).open(f);
    assertThatThrownBy(() -> h.map(0, 4, false))
        .isInstanceOf(VirtMemException.class)
        .hasMessageContaining("loading block 2")
        .hasMessageContaining("disk on fire");
    assertThat(h.pageTable()).doesNotContainKey(2L);
    assertThat(h.pageTable().values())
        .allMatch(i -> i.pins() == 0 && i.state() == PageState.LOADED);
    f.failing = -1;
    try (Mapping m = h.map(0, 4, false)) {
      assertThat(m.blockCount()).isEqualTo(4);
    }
  }

  /** Waits (bounded) until {@code n} threads wait for the load of {@code blk}. */
  private static void awaitWaiters(FileHandle h, long blk, int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (h.waitersOf(blk) < n) {
      assertThat(System.nanoTime()).as("%d waiters for block %d", n, blk).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void aFailingLoadFailsEveryWaiterAndTheNextAccessLoadsAgain() throws Exception {
    MemFile f = new MemFile();
    f.set(0, 4);
    f.failing = 0;
    FileHandle h = vm(8, 0).open(f);
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    f.beforeLoad = holdAt(loading, release);
    var pool = Executors.newFixedThreadPool(3);
    try {
      Future<Mapping> first = pool.submit(() -> h.map(0, 1, false));
      assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
      Future<Mapping> second = pool.submit(() -> h.map(0, 1, false));
      Future<Mapping> third = pool.submit(() -> h.map(0, 1, true));
      awaitWaiters(h, 0, 2);
      release.countDown();
      for (Future<Mapping> m : List.of(first, second, third)) {
        assertThatThrownBy(() -> m.get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(VirtMemException.class)
            .hasMessageContaining("disk on fire");
      }
      assertThat(f.loads(0)).isEqualTo(1); // one load, three failures
      assertThat(h.pageTable()).doesNotContainKey(0L);
      assertThat(h.waitersOf(0)).isZero();
      f.failing = -1;
      f.beforeLoad = () -> {};
      try (Mapping m = h.map(0, 1, false)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 4);
      }
      assertThat(f.loads(0)).isEqualTo(2);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void twoThreadsNeedingOneBlockShareOneLoad() throws Exception {
    MemFile f = new MemFile();
    f.set(0, 4);
    FileHandle h = vm(8, 0).open(f);
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    f.beforeLoad = holdAt(loading, release);
    var pool = Executors.newFixedThreadPool(2);
    try {
      Future<Mapping> first = pool.submit(() -> h.map(0, 1, false));
      assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(h.pageTable().get(0L).state()).isEqualTo(PageState.LOADING);
      Future<Mapping> second = pool.submit(() -> h.map(0, 1, false));
      awaitWaiters(h, 0, 1); // the second thread provably waits for the first one's load
      assertThat(second).isNotDone();
      release.countDown();
      try (Mapping a = first.get(10, TimeUnit.SECONDS);
          Mapping b = second.get(10, TimeUnit.SECONDS)) {
        assertThat(a.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 4);
        assertThat(b.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 4);
        assertThat(f.loads(0)).isEqualTo(1);
        assertThat(h.pageTable().get(0L)).isEqualTo(info(PageState.LOADED, 2, 2));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void discardReloadsAChangedPageThatAMapInProgressHoldsInsteadOfDroppingIt() throws Exception {
    MemFile f = new MemFile();
    f.set(0, 1);
    FileHandle h = vm(8, 0).open(f);
    try (Mapping w = h.map(0, 1, true)) {
      w.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 9);
    }
    assertThat(h.pageTable().get(0L)).isEqualTo(info(PageState.DIRTY, 0, 0));
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Runnable hold = holdAt(loading, release);
    f.beforeLoadOf =
        blk -> {
          if (blk == 1) {
            hold.run();
          }
        };
    var pool = Executors.newFixedThreadPool(1);
    try {
      // a map of blocks 0 and 1: block 0 (changed, unmapped) is pinned, block 1 is loading
      Future<Mapping> mapping = pool.submit(() -> h.map(0, 2, false));
      assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (h.pageTable().get(0L).pins() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // block 0's acquire runs in parallel with block 1's load
      }
      assertThat(h.pageTable().get(0L)).isEqualTo(info(PageState.DIRTY, 1, 0));
      h.discard(); // the change goes; the page must stay, loaded again, for the map holding it
      assertThat(h.pageTable().get(0L)).isEqualTo(info(PageState.LOADED, 1, 0));
      release.countDown();
      try (Mapping m = mapping.get(10, TimeUnit.SECONDS)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, PAGE - 1)).isEqualTo((byte) 1);
        assertThat(h.pageTable().get(0L)).isEqualTo(info(PageState.LOADED, 1, 1));
      }
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void anInvalidationDuringALoadMakesTheLoaderLoadAgain() throws Exception {
    MemFile f = new MemFile();
    f.set(0, 1);
    FileHandle h = vm(8, 0).open(f);
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Runnable hold = holdAt(loading, release);
    f.beforeLoad =
        () -> {
          if (f.loads(0) == 1) {
            hold.run();
          }
        };
    var pool = Executors.newSingleThreadExecutor();
    try {
      Future<Mapping> mapped = pool.submit(() -> h.map(0, 1, false));
      assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
      f.set(0, 2); // a commit elsewhere changes the block
      h.invalidate(List.of(0L));
      assertThat(h.pageTable().get(0L).state()).isEqualTo(PageState.LOADING_INVALIDATED);
      release.countDown();
      try (Mapping m = mapped.get(10, TimeUnit.SECONDS)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 2);
        assertThat(f.loads(0)).isEqualTo(2);
        assertThat(h.pageTable().get(0L)).isEqualTo(info(PageState.LOADED, 1, 1));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void reclaimRacingWithMappingEvictsOnlyCleanUnpinnedPages() throws Exception {
    MemFile f = new MemFile();
    for (long b = 0; b < 4; b++) {
      f.set(b, (int) b + 1);
    }
    VirtMem vm = vm(2, 0);
    FileHandle h = vm.open(f);
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Runnable hold = holdAt(loading, release);
    f.beforeLoad =
        () -> {
          if (f.loads(0) == 1 && f.loads(1) == 0) {
            hold.run();
          }
        };
    var pool = Executors.newSingleThreadExecutor();
    try {
      // T1 loads block 0 and is held in loadBlock: its slot is taken, its page LOADING
      Future<Mapping> t1 = pool.submit(() -> h.map(0, 1, false));
      assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(h.pageTable().get(0L).state()).isEqualTo(PageState.LOADING);
      // T2 (this thread) maps and closes block 1: clean and unpinned, the only evictable page
      h.map(1, 1, false).close();
      // mapping block 2 needs a slot: reclaim takes block 1, never the loading block 0
      try (Mapping m2 = h.map(2, 1, false)) {
        assertThat(m2.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 3);
        assertThat(h.pageTable().keySet()).containsExactly(0L, 2L);
        // nothing evictable is left: a clear error, and the loader is unaffected
        assertThatThrownBy(() -> h.map(3, 1, false))
            .isInstanceOf(VirtMemException.class)
            .hasMessageContaining("1 loading");
        release.countDown();
        try (Mapping m0 = t1.get(10, TimeUnit.SECONDS)) {
          assertThat(m0.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
          assertThat(h.pageTable())
              .containsExactly(
                  Map.entry(0L, info(PageState.LOADED, 1, 1)),
                  Map.entry(2L, info(PageState.LOADED, 1, 1)));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFullRamFileSystemIsAClearError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // a 64 KiB tmpfs holds 16 pages of 4 KiB; mounting it needs root, as on our CI machines
    java.nio.file.Path mnt = java.nio.file.Files.createDirectory(dir.resolve("tmpfs"));
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt.toString())
            .redirectErrorStream(true)
            .start();
    String why = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean mounted = mount.waitFor() == 0;
    if (System.getenv("CI") != null) {
      // CI runs as root: there the test must run, not skip
      assertThat(mounted).as("mount a small tmpfs in CI: " + why).isTrue();
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(
        mounted, "cannot mount a small tmpfs here (needs root): " + why);
    try (VirtMem vm = new VirtMem(PAGE, 64L * PAGE, 0, mnt)) {
      FileHandle h = vm.open(new MemFile());
      try (Mapping m = h.map(0, 10, false)) {
        assertThatThrownBy(() -> h.map(10, 10, false))
            .isInstanceOf(VirtMemException.class)
            .hasMessageContaining("cannot allocate a page of 4096 bytes")
            .hasMessageContaining("no space left in the RAM file system");
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isZero();
      }
      assertThat(h.pageTable().values()).allMatch(i -> i.pins() == 0);
    } finally {
      new ProcessBuilder("umount", mnt.toString()).start().waitFor();
    }
  }

  /** A load hook that says the load began ({@code loading}) and waits for {@code release}. */
  private static Runnable holdAt(CountDownLatch loading, CountDownLatch release) {
    return () -> {
      loading.countDown();
      await(release);
    };
  }

  private static void await(CountDownLatch l) {
    try {
      l.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void readAheadLoadsTheNextBlocksUnpinned() throws Exception {
    MemFile f = new MemFile();
    FileHandle h = vm(16, 2).open(f);
    try (Mapping m = h.map(0, 2, false)) {
      // read-ahead runs in the background: wait until both pages are loaded, not merely listed
      // (a page is in the table while it is still LOADING)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline
          && !(info(PageState.LOADED, 0, 0).equals(h.pageTable().get(2L))
              && info(PageState.LOADED, 0, 0).equals(h.pageTable().get(3L)))) {
        Thread.sleep(10);
      }
      assertThat(h.pageTable())
          .containsEntry(2L, info(PageState.LOADED, 0, 0))
          .containsEntry(3L, info(PageState.LOADED, 0, 0));
      assertThat(m.blockCount()).isEqualTo(2);
    }
  }

  @Test
  void mappingsMayExceedTwoGiB() {
    long pageSize = 2 << 20;
    try (VirtMem big = new VirtMem(pageSize, 3L << 30, 0)) {
      BigFile zeros =
          new BigFile() {
            @Override
            public long blockSize() {
              return pageSize;
            }

            @Override
            public void loadBlock(long blk, MemorySegment page) {
              page.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, blk);
            }

            @Override
            public void storeBlock(long blk, MemorySegment page) {}
          };
      FileHandle h = big.open(zeros);
      long count = (2560L << 20) / pageSize; // 2.5 GiB
      try (Mapping m = h.map(0, count, false)) {
        assertThat(m.segment().byteSize()).isGreaterThan(Integer.MAX_VALUE);
        assertThat(m.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, (count - 1) * pageSize))
            .isEqualTo(count - 1);
      }
    }
  }

  /**
   * Random steps against a model: per block the stored bytes and, for open writable mappings, the
   * bytes written. A tiny budget makes reclaim happen. The seed is printed on failure.
   */
  @Test
  void randomStepsAgreeWithAByteArrayModel() throws InterruptedException {
    long seed = Long.getLong("zbig.seed", System.nanoTime()); // -Dzbig.seed=N replays a run
    System.out.println("randomStepsAgreeWithAByteArrayModel: seed " + seed);
    try {
      runModel(seed, 3000, 0, false);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("model test failed with seed " + seed, e);
    }
  }

  /**
   * The same steps with read-ahead on and a second thread that keeps mapping and closing read-only
   * views of random blocks: the model's contents are checked by the first thread only (the second
   * one's pins are unknown to it), the page table's invariants by both.
   */
  @Test
  void randomStepsWithReadAheadAndASecondThreadKeepTheInvariants() throws Exception {
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    System.out.println("randomStepsWithReadAheadAndASecondThreadKeepTheInvariants: seed " + seed);
    try {
      runModel(seed, 3000, 2, true);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("model test failed with seed " + seed, e);
    }
  }

  private void runModel(long seed, int steps, int readAhead, boolean secondThread)
      throws InterruptedException {
    Random r = new Random(seed);
    int nblk = 8;
    MemFile f = new MemFile();
    byte[][] stored = new byte[nblk][PAGE];
    for (int b = 0; b < nblk; b++) {
      r.nextBytes(stored[b]);
      f.blocks.put((long) b, stored[b].clone());
    }
    byte[][] working = new byte[nblk][];
    for (int b = 0; b < nblk; b++) {
      working[b] = stored[b].clone();
    }
    // without read-ahead and a second thread, the steps are deterministic for a seed
    VirtMem vm = vm(5, readAhead);
    FileHandle h = vm.open(f);
    List<Mapping> maps = new ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Throwable> other =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              Random r2 = new Random(seed + 1);
              try {
                while (!stop.get()) {
                  try (Mapping m = h.map(r2.nextInt(nblk), 1, false)) {
                    m.segment().get(ValueLayout.JAVA_BYTE, r2.nextInt(PAGE));
                  } catch (VirtMemException e) {
                    assertThat(e).hasMessageContaining("exhausted");
                  }
                }
              } catch (Throwable t) {
                other.set(t);
              }
            },
            "model-reader");
    if (secondThread) {
      reader.start();
    }
    try {
      for (int step = 0; step < steps; step++) {
        modelStep(r, h, vm, f, maps, stored, working, nblk, secondThread);
        checkTable(h, maps, vm, secondThread);
        if (other.get() != null) {
          throw new AssertionError("the second thread failed", other.get());
        }
      }
    } finally {
      stop.set(true);
      if (secondThread) {
        reader.join(30_000);
      }
      for (Mapping m : maps) {
        m.close();
      }
    }
  }

  private static void modelStep(
      Random r,
      FileHandle h,
      VirtMem vm,
      MemFile f,
      List<Mapping> maps,
      byte[][] stored,
      byte[][] working,
      int nblk,
      boolean secondThread) {
    int op = r.nextInt(9);
    switch (op) {
      case 0, 1 -> { // map
        if (maps.size() < 2) {
          long blk = r.nextInt(nblk - 1);
          int count = 1 + r.nextInt(2);
          try {
            maps.add(h.map(blk, count, r.nextBoolean()));
          } catch (VirtMemException e) {
            // only when the budget is really full: the pages that cannot go (shown by a
            // mapping, or changed and waiting for writeout or discard) and the new ones
            assertThat(e).hasMessageContaining("exhausted");
            if (!secondThread) {
              java.util.Set<Long> needed = new java.util.HashSet<>();
              for (Mapping m : maps) {
                for (long b = m.firstBlock(); b < m.firstBlock() + m.blockCount(); b++) {
                  needed.add(b);
                }
              }
              for (int b = 0; b < nblk; b++) {
                if (!Arrays.equals(working[b], stored[b])) {
                  needed.add((long) b);
                }
              }
              for (long b = blk; b < blk + count; b++) {
                needed.add(b);
              }
              assertThat((long) needed.size())
                  .as("pages needed when the budget was said to be exhausted")
                  .isGreaterThan(vm.budgetPages());
            }
          }
        }
      }
      case 8 -> { // reclaim: evictable pages go, the others stay
        long before = vm.pagesInRam();
        long evicted = vm.reclaim(1 + r.nextInt(3));
        if (r.nextBoolean()) {
          vm.trim();
        }
        if (!secondThread) {
          assertThat(vm.pagesInRam()).isEqualTo(before - evicted);
        }
        for (Mapping m : maps) {
          for (long b = m.firstBlock(); b < m.firstBlock() + m.blockCount(); b++) {
            assertThat(h.pageTable()).as("mapped page %d after reclaim", b).containsKey(b);
          }
        }
      }
      case 2 -> { // read through a mapping
        if (!maps.isEmpty()) {
          Mapping m = maps.get(r.nextInt(maps.size()));
          int i = r.nextInt((int) m.blockCount());
          int off = r.nextInt(PAGE);
          assertThat(m.segment().get(ValueLayout.JAVA_BYTE, (long) i * PAGE + off))
              .isEqualTo(working[(int) m.firstBlock() + i][off]);
        }
      }
      case 3 -> { // write through a writable mapping
        if (!maps.isEmpty()) {
          Mapping m = maps.get(r.nextInt(maps.size()));
          int i = r.nextInt((int) m.blockCount());
          int off = r.nextInt(PAGE);
          byte v = (byte) r.nextInt();
          if (m.writable()) {
            m.segment().set(ValueLayout.JAVA_BYTE, (long) i * PAGE + off, v);
            working[(int) m.firstBlock() + i][off] = v;
          } else {
            assertThatThrownBy(() -> m.segment().set(ValueLayout.JAVA_BYTE, 0, v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("read-only");
          }
        }
      }
      case 4 -> { // close a mapping
        if (!maps.isEmpty()) {
          maps.remove(r.nextInt(maps.size())).close();
        }
      }
      case 5 -> { // commit: writeout
        List<Long> written = h.writeout();
        for (int b = 0; b < nblk; b++) {
          boolean changed = !Arrays.equals(working[b], stored[b]);
          assertThat(written.contains((long) b)).as("block %d stored", b).isEqualTo(changed);
          stored[b] = working[b].clone();
          assertThat(f.blocks.get((long) b)).isEqualTo(stored[b]);
        }
      }
      case 6 -> { // abort: discard
        h.discard();
        for (int b = 0; b < nblk; b++) {
          working[b] = stored[b].clone();
        }
      }
      case 7 -> { // at a boundary (no changes pending), another client changes a block
        h.discard();
        for (int b = 0; b < nblk; b++) {
          working[b] = stored[b].clone();
        }
        int b = r.nextInt(nblk);
        r.nextBytes(stored[b]);
        f.blocks.put((long) b, stored[b].clone());
        working[b] = stored[b].clone();
        h.invalidate(List.of((long) b));
      }
      default -> throw new AssertionError();
    }
  }

  /**
   * The page table agrees with the open mappings: pins, reverse maps, states, budget (with a second
   * thread mapping too, its pins and mappings come on top).
   */
  private static void checkTable(
      FileHandle h, List<Mapping> maps, VirtMem vm, boolean secondThread) {
    Map<Long, PageInfo> table = h.pageTable();
    Map<Long, int[]> expected = new java.util.HashMap<>(); // blk -> {mappings, writable}
    for (Mapping m : maps) {
      for (long b = m.firstBlock(); b < m.firstBlock() + m.blockCount(); b++) {
        int[] e = expected.computeIfAbsent(b, x -> new int[2]);
        e[0]++;
        e[1] |= m.writable() ? 1 : 0;
      }
    }
    for (var e : expected.entrySet()) {
      PageInfo i = table.get(e.getKey());
      assertThat(i).as("page %d of a mapping", e.getKey()).isNotNull();
      if (secondThread) {
        assertThat(i.pins()).as("pins of %d", e.getKey()).isGreaterThanOrEqualTo(e.getValue()[0]);
        assertThat(i.mappings()).isGreaterThanOrEqualTo(e.getValue()[0]);
      } else {
        assertThat(i.pins()).as("pins of %d", e.getKey()).isEqualTo(e.getValue()[0]);
        assertThat(i.mappings()).isEqualTo(e.getValue()[0]);
      }
      if (e.getValue()[1] == 1) {
        assertThat(i.state()).isEqualTo(PageState.DIRTY);
      }
    }
    for (var e : table.entrySet()) {
      if (!expected.containsKey(e.getKey())) {
        // read-ahead may be loading pages no mapping shows, in the background
        if (!secondThread) {
          assertThat(e.getValue().mappings()).isZero();
          if (e.getValue().state() == PageState.LOADED || e.getValue().state() == PageState.DIRTY) {
            assertThat(e.getValue().pins()).isZero();
          }
        }
      } else {
        assertThat(e.getValue().state()).isIn(PageState.LOADED, PageState.DIRTY);
      }
      if (!secondThread) {
        // (with background loads, a load invalidated while it ran leaves its page EMPTY for the
        // moment between dropping the result and loading again)
        assertThat(e.getValue().state()).isNotEqualTo(PageState.EMPTY);
      }
    }
    assertThat(vm.pagesInRam()).isLessThanOrEqualTo(vm.budgetPages());
  }

  @Test
  void closingWhileReadAheadStillLoadsWaitsForTheLoadInsteadOfFreeingItsPage() throws Exception {
    MemFile f = new MemFile();
    for (long b = 0; b < 4; b++) {
      f.set(b, (int) b + 1);
    }
    CountDownLatch readAheadStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger order =
        new java.util.concurrent.atomic.AtomicInteger();
    int[] loadedAt = {0};
    VirtMem vm = new VirtMem(PAGE, 16L * PAGE, 2);
    FileHandle h = vm.open(f);
    // the read-ahead of block 2 is held: it is still writing when close comes; block 1, mapped
    // below, loads at once
    f.beforeLoadOf =
        blk -> {
          if (blk == 2) {
            readAheadStarted.countDown();
            await(release);
          }
        };
    try (Mapping m = h.map(1, 1, false)) {
      assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 2);
    }
    assertThat(readAheadStarted.await(10, TimeUnit.SECONDS)).isTrue();
    int[] closedAt = {0};
    Thread closer =
        new Thread(
            () -> {
              vm.close(); // before the fix: the RAM was unmapped under the loader (a JVM crash)
              closedAt[0] = order.incrementAndGet();
            },
            "closer");
    closer.start();
    // the closer waits (for the load, with the fix) or is done (without it): then the load ends
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (closer.getState() != Thread.State.TIMED_WAITING
        && closer.getState() != Thread.State.WAITING
        && closer.getState() != Thread.State.TERMINATED) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.onSpinWait();
    }
    f.beforeLoadOf = blk -> {};
    loadedAt[0] = order.incrementAndGet(); // the held load ends right after this
    release.countDown();
    closer.join(30_000);
    assertThat(closer.isAlive()).isFalse();
    assertThat(closedAt[0])
        .as("close returned after the load it had to wait for")
        .isGreaterThan(loadedAt[0]);
  }
}
