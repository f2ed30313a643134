package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.PageState;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.virtmem.VirtMemException;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.zblk.ZBlkFormat;

/** BigArray over pages: elements across page edges, chunked walks, resize and append rollback. */
class BigArrayTest {
  @TempDir Path dir;

  private static Database open(ZeoServer server) {
    return Database.open(
        server.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
        1 << 20);
  }

  /** An in-memory file of {@code pages} float64 pages, element i holding i. */
  private static IndexingModelTest.MemFile countingFile(int pages) {
    IndexingModelTest.MemFile f = new IndexingModelTest.MemFile();
    for (int p = 0; p < pages; p++) {
      ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 512; i++) {
        b.putDouble((double) (p * 512 + i));
      }
      f.blocks.put((long) p, b.array());
    }
    return f;
  }

  @Test
  void aWalkOfMoreThanHalfTheBudgetGivesEachPieceBackAndOneThatFitsKeepsIt() {
    try (VirtMem vm = new VirtMem(4096, 8L * 4096, 0)) { // 8 pages of RAM
      FileHandle big = vm.open(countingFile(40));
      BigArray a = new BigArray(big, 4096, new long[] {40 * 512}, DType.FLOAT64, 'C');
      int[] most = {0};
      double[] sum = {0};
      a.forEachChunk(
          4096,
          piece -> {
            most[0] = Math.max(most[0], big.pageTable().size());
            sum[0] += piece.sum();
          },
          rows -> {});
      long n = 40 * 512;
      assertThat(sum[0]).isEqualTo(n * (n - 1) / 2.0);
      // the piece and the next one, and those before whose prefetch task has not let go of them
      // yet (they go when it does; 0 failures in 300 runs at a bound of 3 under CPU load);
      // without dropping behind: all 8 pages of the budget
      assertThat(most[0]).isLessThanOrEqualTo(4);
      assertThat(big.pageTable().size()).isLessThanOrEqualTo(2);

      FileHandle small = vm.open(countingFile(4)); // half the budget: kept for the next pass
      BigArray b = new BigArray(small, 4096, new long[] {4 * 512}, DType.FLOAT64, 'C');
      b.forEachChunk(4096, piece -> {}, rows -> {});
      assertThat(small.pageTable()).hasSize(4);
    }
  }

  @Test
  void droppingBehindKeepsChangedAndMappedPages() {
    try (VirtMem vm = new VirtMem(4096, 8L * 4096, 0)) {
      FileHandle h = vm.open(countingFile(4));
      BigArray a = new BigArray(h, 4096, new long[] {4 * 512}, DType.FLOAT64, 'C');
      try (BigArray.View changed = a.view(true, Index.slice(0L, 512L, 1));
          BigArray.View mapped = a.view(false, Index.slice(512L, 1024L, 1))) {
        changed.array().fill(7);
        assertThat(mapped.array().getDouble(0)).isEqualTo(512);
        a.prefetch(List.of(Index.slice(1024L, 2048L, 1))).join(); // pages 2 and 3: loaded, free
        assertThat(h.dropBehind(0, 4)).isEqualTo(2);
        assertThat(h.pageTable().keySet()).containsExactlyInAnyOrder(0L, 1L);
      }
      assertThat(h.pageTable().get(0L).state()).isEqualTo(PageState.DIRTY);
      // page 1 was mapped when dropped behind: it went when its view closed; page 0 changed: kept
      assertThat(h.pageTable().keySet()).containsExactly(0L);
    }
  }

  @Test
  void aChunkedWalkPrefetchesTheNextPieceWhileTheActionWorksOnOne() {
    try (VirtMem vm = new VirtMem(4096, 64L * 4096, 0)) {
      FileHandle h = vm.open(new IndexingModelTest.MemFile());
      BigArray a = new BigArray(h, 4096, new long[] {4 * 512}, DType.FLOAT64, 'C'); // 4 pages
      try (BigArray.View v = a.view(true, Index.slice(0L, 4 * 512L, 1))) {
        v.array().fill(1);
      }
      h.writeout();
      // prefetch: the pages are in RAM, unpinned, and mapping them loads nothing again
      var index = List.of(Index.slice(512L, 1024L, 1));
      a.prefetch(index).join();
      assertThat(h.pageTable().get(1L)).isEqualTo(new FileHandle.PageInfo(PageState.LOADED, 0, 0));
      // in the walk, when the action sees piece k, piece k + 1 is loaded or loading
      List<Long> seen = new ArrayList<>();
      double[] sum = {0};
      a.forEachChunk(
          4096,
          piece -> {
            int k = seen.size();
            if (k < 3) {
              assertThat(h.pageTable()).containsKey((long) k + 1);
            }
            seen.add((long) k);
            sum[0] += piece.sum();
          },
          rows -> {});
      assertThat(sum[0]).isEqualTo(4 * 512);
      assertThat(seen).containsExactly(0L, 1L, 2L, 3L);
    }
  }

  @Test
  void anElementThatStraddlesAPageEdgeMapsBothPages() {
    try (VirtMem vm = new VirtMem(4096, 64L * 4096, 0)) {
      FileHandle h = vm.open(new IndexingModelTest.MemFile());
      DType rec = DType.struct(List.of(Map.entry("a", DType.INT32), Map.entry("b", DType.FLOAT64)));
      BigArray a = new BigArray(h, 4096, new long[] {1000}, rec, 'C');
      // element 341 is bytes [4092, 4104): 4 bytes in page 0, 8 in page 1
      assertThat(a.pagesOf(List.of(Index.at(341)))).containsExactly(0, 2);
      assertThat(a.pagesOf(List.of(Index.at(340)))).containsExactly(0, 1);
      assertThat(a.pagesOf(List.of(Index.slice(400L, 300L, 1)))).containsExactly(0, 0); // empty
      try (BigArray.View v = a.view(true, Index.slice(345L, 337L, -1))) {
        assertThat(v.mapping().firstBlock()).isZero();
        assertThat(v.mapping().blockCount()).isEqualTo(2);
        v.array().field("a").copyFrom(new double[] {8, 7, 6, 5, 4, 3, 2, 1});
        v.array().field("b").fill(-0.5);
      }
      try (BigArray.View v = a.view(false, Index.at(341))) {
        assertThat(v.array().field("a").getLong()).isEqualTo(4); // 345 got 8, ..., 341 got 4
        assertThat(v.array().field("b").getDouble()).isEqualTo(-0.5);
      }
      try (BigArray.View none = a.view(false, Index.slice(5L, 5L, 1))) {
        assertThat(none.mapping()).isNull();
        assertThat(none.array().size()).isZero();
      }
      // a chunked walk sees every row once, in block-sized pieces, and reports progress
      List<Long> progress = new ArrayList<>();
      double[] sum = {0};
      a.forEachChunk(4096, piece -> sum[0] += piece.field("a").sum(), progress::add);
      assertThat(sum[0]).isEqualTo(36);
      assertThat(progress.getLast()).isEqualTo(1000);
      assertThat(progress).hasSizeGreaterThan(2);
    }
  }

  private static long storedBytes(Database db) {
    return (Long) db.zeo().invoke(id -> new org.zbig.wire.GetInfo(id)).get("size");
  }

  private static void pack(Database db) {
    db.zeo()
        .invoke(id -> new org.zbig.wire.Pack(id, System.currentTimeMillis() / 1000.0 + 60, true));
  }

  @Test
  void shrinkingDropsTheDataPastTheEndAndPackFreesIt() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(4096, 64L * 4096, 2)) {
      ZBigArray.register(db.registry());
      // 32 rows of 2 KiB: two rows a block, 16 blocks
      ZBigArray za = new ZBigArray(new long[] {32, 256}, DType.FLOAT64, 'C', 4096);
      c.root().put("a", za);
      c.commit();
      BigArray a = za.open(vm);
      for (int r = 0; r < 32; r++) {
        try (BigArray.View v = a.view(true, Index.at(r))) {
          v.array().fill(r + 1);
        }
      }
      c.commit();
      pack(db);
      long full = storedBytes(db);
      // a view past the new end: refused, nothing changed
      try (BigArray.View v = a.view(false, Index.at(30))) {
        assertThatThrownBy(() -> za.resize(11, 256))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("block 15")
            .hasMessageContaining("close");
        assertThat(v.array().getDouble(0)).isEqualTo(31);
      }
      assertThat(za.shape()).containsExactly(32, 256);
      // 11 rows: blocks 0-5 stay (block 5 keeps row 10, row 11's half becomes zeros)
      za.resize(11, 256);
      a.resize(11, 256);
      assertThat(za.zfile().blktab().keys()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
      // an abort brings everything back
      c.abort();
      assertThat(za.shape()).containsExactly(32, 256);
      a.resize(32, 256);
      try (BigArray.View v = a.view(false, Index.at(31))) {
        assertThat(v.array().getDouble(255)).isEqualTo(32);
      }
      za.resize(11, 256);
      a.resize(11, 256);
      c.commit();
      // growing again shows zeros past row 10, in the same block too, never the old rows
      za.resize(32, 256);
      a.resize(32, 256);
      try (BigArray.View v = a.view(false)) {
        NDArray all = v.array();
        assertThat(all.getDouble(10, 255)).isEqualTo(11);
        for (int r = 11; r < 32; r++) {
          assertThat(all.getDouble(r, 0)).as("row %d", r).isZero();
          assertThat(all.getDouble(r, 255)).as("row %d", r).isZero();
        }
      }
      c.commit();
      try (Connection other = db.open()) {
        ZBigArray seen = other.root().get("a", ZBigArray.class);
        assertThat(seen.zfile().blktab().keys()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
      }
      pack(db);
      long shrunk = storedBytes(db);
      assertThat(full - shrunk).isGreaterThanOrEqualTo(10 * 4096 + 2048);
      // discardData empties the file
      za.zfile().discardData();
      c.commit();
      try (Connection other = db.open()) {
        assertThat(other.root().get("a", ZBigArray.class).zfile().blktab().keys()).isEmpty();
      }
      pack(db);
      assertThat(storedBytes(db)).isLessThan(shrunk - 5 * 4096);
    }
  }

  /**
   * A .npy of {@code rows} rows of 512 float64 (row r holds r + 1 + base), cut after {@code keep}.
   */
  private Path npyRows(String name, int rows, int base, long keep) throws java.io.IOException {
    Path npy = dir.resolve(name);
    java.nio.ByteBuffer data =
        java.nio.ByteBuffer.allocate(rows * 512 * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < 512; i++) {
        data.putDouble(r + 1 + base);
      }
    }
    byte[] header = Npy.header(DType.FLOAT64, 'C', new long[] {rows, 512});
    byte[] all = new byte[header.length + data.capacity()];
    System.arraycopy(header, 0, all, 0, header.length);
    System.arraycopy(data.array(), 0, all, header.length, data.capacity());
    java.nio.file.Files.write(
        npy,
        java.util.Arrays.copyOf(
            all, (int) Math.min(all.length, header.length + Math.min(keep, all.length))));
    return npy;
  }

  @Test
  void anImportOfMoreThanHalfTheBudgetGivesEachCheckpointsPagesBackAndASmallerOneKeepsThem()
      throws Exception {
    int blk = 2 << 20;
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(blk, 16L * blk, 0)) { // 32 MiB
      ZBigArray.register(db.registry());
      // 48 MiB in pieces of 4 MiB (two blocks), a commit after each: more than the budget
      Path big = npyRows("big.npy", 12288, 0, Long.MAX_VALUE);
      long[] most = {0};
      int[] calls = {0};
      ArrayFiles.importNpy(
          c,
          "big",
          big,
          ZBlkFormat.ZBLK0,
          vm,
          blk,
          p -> {
            calls[0]++;
            most[0] = Math.max(most[0], vm.pagesInRam());
          },
          4L << 20);
      assertThat(calls[0]).isEqualTo(12);
      // each piece's pages went back once committed (their slots kept, warm, for the next piece)
      assertThat(most[0]).isZero();
      try (Connection reader = db.open();
          VirtMem all = new VirtMem(blk, 512L * blk, 0)) {
        BigArray a = reader.root().get("big", ZBigArray.class).open(all);
        try (BigArray.View v = a.view(false)) {
          for (int r : new int[] {0, 511, 512, 6000, 12287}) {
            assertThat(v.array().getDouble(r, 511)).as("row %d", r).isEqualTo(r + 1);
          }
        }
      }
      // 16 MiB, not more than half the budget: its pages stay, for what the caller reads next
      Path small = npyRows("small.npy", 4096, 7, Long.MAX_VALUE);
      long[] kept = {0};
      ArrayFiles.importNpy(
          c,
          "small",
          small,
          ZBlkFormat.ZBLK0,
          vm,
          blk,
          p -> kept[0] = Math.max(kept[0], vm.pagesInRam()),
          1L << 20);
      // more than the last piece's two pages: the import gave none back (the budget's reclaim,
      // which also counts the slots the first import left for reuse, may take a few)
      assertThat(kept[0]).as("pages in RAM after its checkpoints").isGreaterThan(2);
    }
  }

  @Test
  void importAndAppendAreAllOrNothingAcrossTheirCheckpoints() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(4096, 64L * 4096, 2)) {
      ZBigArray.register(db.registry());
      long checkpoint = 4 * 4096; // a commit every 4 rows
      // an import that fails after 10 of its 16 rows (injected): checkpoints were committed
      Path cut = npyRows("cut.npy", 16, 0, Long.MAX_VALUE);
      java.util.function.LongConsumer failAfter10Rows =
          p -> {
            if (p >= 10 * 4096) {
              throw new IllegalStateException("injected failure at " + p + " bytes");
            }
          };
      assertThatThrownBy(() ->
              ArrayFiles.importNpy(
                  c, "imp", cut, ZBlkFormat.ZBLK0, vm, 4096, failAfter10Rows, checkpoint))
          .hasMessageContaining("injected");
      c.abort();
      try (Connection other = db.open()) {
        assertThat(other.root().containsKey("imp")).as("no array under the name").isFalse();
        ZBigArray inProgress =
            other
                .root()
                .get(ArrayFiles.IMPORTS_IN_PROGRESS, org.zbig.client.PersistentMapping.class)
                .get("imp", ZBigArray.class);
        assertThat(inProgress.zfile().blktab().keys()).isNotEmpty(); // the checkpoints
      }
      // the next run starts over in that array, and only its last commit shows it
      Path good = npyRows("good.npy", 16, 100, Long.MAX_VALUE);
      ZBigArray za =
          ArrayFiles.importNpy(c, "imp", good, ZBlkFormat.ZBLK0, vm, 4096, p -> {}, checkpoint);
      assertThat(za.shape()).containsExactly(16, 512);
      try (Connection other = db.open()) {
        ZBigArray seen = other.root().get("imp", ZBigArray.class);
        assertThat(seen.shape()).containsExactly(16, 512);
        assertThat(seen.zfile().blktab().keys()).hasSize(16);
        assertThat(other.root().containsKey(ArrayFiles.IMPORTS_IN_PROGRESS)).isFalse();
        BigArray sa = seen.open(new VirtMem(4096, 64L * 4096, 0));
        try (BigArray.View v = sa.view(false)) {
          for (int r = 0; r < 16; r++) {
            assertThat(v.array().getDouble(r, 511)).as("row %d", r).isEqualTo(r + 101);
          }
        }
        sa.file().virtMem().close();
      }
      // an existing array is not imported over
      assertThatThrownBy(
              () -> ArrayFiles.importNpy(c, "imp", good, ZBlkFormat.ZBLK0, vm, 4096, p -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("exists already");
      // an append that fails after checkpoints: the shape stays, the next append succeeds
      BigArray a = za.open(vm);
      Path cutAppend = npyRows("cut-append.npy", 12, 200, Long.MAX_VALUE);
      java.util.function.LongConsumer failAfter9Rows =
          p -> {
            if (p >= 9 * 4096) {
              throw new IllegalStateException("injected failure at " + p + " bytes");
            }
          };
      assertThatThrownBy(
              () -> ArrayFiles.appendNpy(c, za, a, cutAppend, failAfter9Rows, checkpoint))
          .hasMessageContaining("injected");
      c.abort();
      assertThat(a.shape()).containsExactly(16, 512);
      try (Connection other = db.open()) {
        ZBigArray seen = other.root().get("imp", ZBigArray.class);
        assertThat(seen.shape()).containsExactly(16, 512);
        assertThat(seen.zfile().blktab().keys()).hasSizeGreaterThan(16); // checkpoints past it
      }
      Path more = npyRows("more.npy", 3, 300, Long.MAX_VALUE);
      ArrayFiles.appendNpy(c, za, a, more, p -> {}, checkpoint);
      try (Connection other = db.open()) {
        ZBigArray seen = other.root().get("imp", ZBigArray.class);
        assertThat(seen.shape()).containsExactly(19, 512);
        assertThat(seen.zfile().blktab().keys()).hasSize(19); // the failed run's blocks are gone
        BigArray sa = seen.open(new VirtMem(4096, 64L * 4096, 0));
        try (BigArray.View v = sa.view(false)) {
          assertThat(v.array().getDouble(15, 0)).isEqualTo(116);
          assertThat(v.array().getDouble(16, 0)).isEqualTo(301);
          assertThat(v.array().getDouble(18, 511)).isEqualTo(303);
        }
        sa.file().virtMem().close();
      }
    }
  }

  @Test
  void resizeIsOnlyTheShapeAndAFailedAppendPutsItBack() throws Exception {
    Path npy = dir.resolve("rows.npy");
    try (var ch =
        java.nio.channels.FileChannel.open(
            npy, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(Npy.header(DType.FLOAT64, 'C', new long[] {64, 512})));
      ch.write(java.nio.ByteBuffer.allocate(64 * 512 * 8));
    }
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem tiny = new VirtMem(4096, 8L * 4096, 0)) {
      ZBigArray.register(db.registry());
      ZBigArray za = new ZBigArray(new long[] {2, 512}, DType.FLOAT64, 'C', 4096);
      c.root().put("a", za);
      c.commit();
      BigArray a = za.open(tiny);
      try (BigArray.View v = a.view(true)) {
        v.array().fill(1);
      }
      c.commit();
      BigArray.View before = a.view(false);
      za.resize(3, 512);
      a.resize(3, 512);
      assertThat(before.array().shape()).containsExactly(2, 512); // views keep their shape
      before.close();
      assertThat(za.stridev()).containsExactly(4096, 8);
      za.resize(2, 512);
      a.resize(2, 512);
      // appending 256 KiB through an 8-page budget fails mid-copy: the shape is put back
      assertThatThrownBy(() -> ArrayFiles.appendNpy(c, za, a, npy, x -> {}))
          .isInstanceOf(VirtMemException.class)
          .hasMessageContaining("budget");
      assertThat(za.shape()).containsExactly(2, 512);
      assertThat(a.shape()).containsExactly(2, 512);
      c.abort();
      try (Connection other = db.open()) {
        assertThat(other.root().get("a", ZBigArray.class).shape()).containsExactly(2, 512);
      }
    }
  }
}
