package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.cli.MainAccess;
import org.zbig.server.storage.FileStorageImport;
import org.zbig.server.storage.KvStorage;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;

/** {@code zbig-server analyze}, {@code verify} and {@code pack}. */
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
      int status = MainAccess.run(args);
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
  void aServerThatClosesBeforeItsOfferIsNamedInTheErrorNotANullMessage() throws Exception {
    // what a TLS server does to a plain client once its TLS handshake times out
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread closer =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  listener.accept().close(); // at once, before any offer
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      String at = "127.0.0.1:" + listener.getLocalPort();
      String[] r = run("pack", "--server", at);
      closer.join();
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2])
          .contains("no ZEO offer from " + at + ": it closed the connection")
          .contains("--tls-ca")
          .doesNotContain("null");
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
      assertThat(r[2])
          .contains("--server: 'nohostport' (expected: HOST:PORT with a port from 0 to 65535)");
    }
  }

  /** A root PersistentMapping record with one entry. */
  private static byte[] root(int i) {
    return new org.zbig.zodb.record.DataRecord(
            org.zbig.zodb.record.ClassMeta.of("persistent.mapping.PersistentMapping"),
            Map.of("data", Map.of("i", (long) i)))
        .encode();
  }

  @Test
  void verifyReadsEveryRevisionAndNamesTheOnesDamagedOnDisk() throws Exception {
    Path data = dir.resolve("data");
    byte[] marker = "<damage here>".getBytes(StandardCharsets.US_ASCII);
    try (var s = KvStorage.rocks(data).dedup(false)) { // whole records (chunks: KvStorageRocksTest)
      for (int t = 1; t <= 3; t++) {
        java.util.List<org.zbig.server.storage.Write> w = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) { // small records: in RocksDB's tables
          w.add(org.zbig.server.storage.Write.data(new Oid(i), Bytes.utf8("t" + t + " o" + i)));
        }
        byte[] big = new byte[300 << 10]; // a big record: in one of RocksDB's blob files
        java.util.Arrays.fill(big, (byte) t);
        System.arraycopy(marker, 0, big, 150 << 10, marker.length);
        big[(150 << 10) + marker.length] = (byte) ('0' + t);
        w.add(org.zbig.server.storage.Write.data(new Oid(100 + t), Bytes.wrap(big)));
        s.commit(
            new Tid(t * 1000L),
            new org.zbig.server.storage.TxnMeta(Bytes.EMPTY, Bytes.EMPTY, Map.of(), " "),
            w);
      }
    }
    String[] r = run("verify", "--data", data.toString());
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains("verified 33 revisions").contains(": 0 damaged");

    // damage the middle of the second big record where it lies on disk
    byte[] tagged = java.util.Arrays.copyOf(marker, marker.length + 1);
    tagged[marker.length] = '2';
    int found = 0;
    try (var files = java.nio.file.Files.list(data)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".blob")).toList()) {
        byte[] b = java.nio.file.Files.readAllBytes(f);
        for (int i = 0; i + tagged.length <= b.length; i++) {
          if (java.util.Arrays.equals(b, i, i + tagged.length, tagged, 0, tagged.length)) {
            b[i + 3] ^= 0x20;
            java.nio.file.Files.write(f, b);
            found++;
            break;
          }
        }
      }
    }
    assertThat(found).as("RocksDB blob files holding the second big record").isEqualTo(1);
    r = run("verify", "--data", data.toString());
    assertThat(r[0]).as(r[1] + r[2]).isEqualTo("1");
    assertThat(r[1])
        .contains(
            "damaged: oid "
                + new Oid(102).toHex()
                + " tid "
                + new Tid(2000).toHex()
                + ": the stored record fails its checksum")
        .contains("verified 33 revisions")
        .contains(": 1 damaged");
    assertThat(r[1].lines().filter(l -> l.startsWith("damaged:")).count()).isEqualTo(1);
  }
}
