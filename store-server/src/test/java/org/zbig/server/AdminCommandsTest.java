package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.storage.FileStorageImport;
import org.zbig.server.storage.KvStorage;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;

/** {@code zbig-server analyze} and {@code zbig-server pack}. */
class AdminCommandsTest {
  @TempDir Path dir;

  /** Runs the command line in-process: {status, standard output, standard error}. */
  static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int status = Main.run(args);
      return new String[] {
        String.valueOf(status),
        o.toString(StandardCharsets.UTF_8),
        e.toString(StandardCharsets.UTF_8)
      };
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void analyzeCountsObjectsAndBytesPerClass() throws Exception {
    Path data = dir.resolve("data");
    try (var s = KvStorage.rocks(data)) {
      FileStorageImport.run(Path.of(AdminCommandsTest.class.getResource("/fs/Data.fs").toURI()), s);
    }
    String[] r = run("analyze", "--data", data.toString(), "--top", "3");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1])
        .contains("7 transactions, 12 objects")
        .contains("wendelin.bigfile.file_zodb.ZBlk0")
        .contains("wendelin.bigfile.file_zodb.ZData")
        .contains("BTrees.LOBTree.LOBTree")
        .contains("largest objects:");
    // a folder a server holds is refused clearly
    try (var held = KvStorage.rocks(data)) {
      assertThat(held.lastTransaction()).isNotEqualTo(Tid.Z64);
      r = run("analyze", "--data", data.toString());
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2]).contains("is another server using it?");
    }
  }

  @Test
  void packRemovesHistoryOfARunningServer() throws Exception {
    ServerConfig m = ServerConfig.inMemory();
    try (ZeoServer server = ZeoServer.start(m);
        TestClient c = new TestClient(server.address())) {
      c.call(new Register(c.id(), "1", false));
      Tid serial = Tid.Z64;
      Tid first = null;
      for (int i = 0; i < 3; i++) {
        c.send(new TpcBegin(i + 1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        c.send(new StoreA(Oid.ROOT, serial, Bytes.wrap(root(i)), i + 1));
        c.call(new Vote(c.id(), i + 1));
        serial = c.call(new TpcFinish(c.id(), i + 1));
        first = first == null ? serial : first;
      }
      Tid old = first;
      String[] r =
          run("pack", "--server", "127.0.0.1:" + server.address().getPort(), "--days", "0");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1]).contains("packed storage '1'");
      assertThatThrownBy(() -> c.call(new LoadSerial(c.id(), Oid.ROOT, old)))
          .isInstanceOf(NoSuchObjectException.class);
      r = run("pack", "--server", "nohostport");
      assertThat(r[2]).contains("--server: 'nohostport' (expected: HOST:PORT)");
    }
  }

  /** A root PersistentMapping record with one entry. */
  private static byte[] root(int i) {
    return new org.zbig.zodb.record.DataRecord(
            org.zbig.zodb.record.ClassMeta.of("persistent.mapping.PersistentMapping"),
            Map.of("data", Map.of("i", (long) i)))
        .encode();
  }
}
