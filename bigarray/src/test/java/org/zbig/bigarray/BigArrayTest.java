package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

/** BigArray over pages: elements across page edges, chunked walks, resize and append rollback. */
class BigArrayTest {
  @TempDir Path dir;

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
        Database db =
            Database.open(
                server.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
                1 << 20);
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
