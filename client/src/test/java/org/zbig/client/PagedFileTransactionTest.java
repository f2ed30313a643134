package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.zbig.client.btree.LOBTree;
import org.zbig.client.virtmem.BigFile;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.zodb.pickle.Bytes;

/** A paged file whose blocks are bytes in an LOBTree, taking part in transactions. */
class PagedFileTransactionTest {
  static final int PAGE = 4096;

  /** Blocks stored as bytes values of a B-tree, in the connection's current transaction. */
  record TreeFile(Connection c) implements BigFile {
    LOBTree tree() {
      return c.root().get("blocks", LOBTree.class);
    }

    @Override
    public long blockSize() {
      return PAGE;
    }

    @Override
    public void loadBlock(long blk, MemorySegment page) {
      Bytes b = (Bytes) tree().get(blk);
      if (b != null) {
        MemorySegment.copy(b.segment(), 0, page, 0, b.length());
      }
    }

    @Override
    public void storeBlock(long blk, MemorySegment page) {
      tree().put(blk, Bytes.wrap(page.toArray(ValueLayout.JAVA_BYTE)));
    }
  }

  @Test
  void commitStoresChangedPagesAndAbortDiscardsThem() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db =
            Database.open(
                server.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
                1 << 20);
        VirtMem vm = new VirtMem(PAGE, 64 * PAGE, 0);
        Connection c = db.open()) {
      c.root().put("blocks", new LOBTree());
      c.commit();
      FileHandle h = vm.open(new TreeFile(c));
      c.join(h);
      try (Mapping m = h.map(0, 4, true)) {
        m.segment().set(ValueLayout.JAVA_INT_UNALIGNED, PAGE + 8, 1234); // block 1
        m.segment().set(ValueLayout.JAVA_BYTE, 3L * PAGE, (byte) 7); // block 3
        c.commit();
        LOBTree tree = c.root().get("blocks", LOBTree.class);
        assertThat(tree.keys()).containsExactly(1L, 3L); // only changed blocks were stored
        m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 9);
        c.abort();
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isZero();
        assertThat(m.segment().get(ValueLayout.JAVA_INT_UNALIGNED, PAGE + 8)).isEqualTo(1234);
      }
      try (Connection other = db.open()) {
        Bytes b1 = (Bytes) other.root().get("blocks", LOBTree.class).get(1L);
        assertThat(b1.asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).getInt(8))
            .isEqualTo(1234);
      }
    }
  }
}
