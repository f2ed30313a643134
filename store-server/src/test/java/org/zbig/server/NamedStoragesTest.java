package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.storage.Compression;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.pickle.Bytes;

/** Several named storages in one server, each with its own data, history and read-only flag. */
class NamedStoragesTest {
  @TempDir Path dir;

  private static Tid commit(TestClient c, long txn, Oid oid, Tid serial, String data) {
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    c.send(new StoreA(oid, serial, Bytes.utf8(data), txn));
    assertThat(c.call(new Vote(c.id(), txn))).isEqualTo(VoteResult.OK);
    return c.call(new TpcFinish(c.id(), txn));
  }

  @Test
  void eachNameIsItsOwnStorageWithItsOwnInvalidations() throws Exception {
    try (ZeoServer server =
            ZeoServer.start(
                ServerConfig.inMemory(),
                Limits.defaults(),
                null,
                List.of(
                    new StorageSpec("scratch", null, false),
                    new StorageSpec("archive", null, true)));
        TestClient main = new TestClient(server.address());
        TestClient scratch = new TestClient(server.address());
        TestClient scratch2 = new TestClient(server.address())) {
      main.call(new Register(main.id(), "1", false));
      scratch.call(new Register(scratch.id(), "scratch", false));
      scratch2.call(new Register(scratch2.id(), "scratch", false));
      Tid t = commit(scratch, 1, Oid.ROOT, Tid.Z64, "in scratch");
      // the other client of the same storage hears of it, the main storage's client does not
      assertThat(scratch2.call(new Ping(scratch2.id()))).isNull();
      assertThat(scratch2.calls).contains(new InvalidateTransaction(t, List.of(Oid.ROOT)));
      assertThat(main.call(new Ping(main.id()))).isNull();
      assertThat(main.calls).noneMatch(c -> c instanceof InvalidateTransaction);
      assertThatThrownBy(() -> main.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .isInstanceOf(NoSuchObjectException.class);
      assertThat(main.call(new LastTransaction(main.id()))).isEqualTo(Tid.Z64);
      assertThat(scratch2.call(LoadBefore.of(Oid.ROOT, Tid.MAX)).orElseThrow().data())
          .isEqualTo(Bytes.utf8("in scratch"));
      // the main storage commits on its own, with its own commit lock and history
      commit(main, 1, Oid.ROOT, Tid.Z64, "in main");
      assertThat(main.call(LoadBefore.of(Oid.ROOT, Tid.MAX)).orElseThrow().data())
          .isEqualTo(Bytes.utf8("in main"));
      // a read-only storage refuses a read-write register and serves a read-only one
      try (TestClient rw = new TestClient(server.address())) {
        assertThatThrownBy(() -> rw.call(new Register(rw.id(), "archive", false)))
            .isInstanceOf(ReadOnlyException.class);
      }
      try (TestClient ro = new TestClient(server.address())) {
        assertThat(ro.call(new Register(ro.id(), "archive", true))).isPresent();
        assertThatThrownBy(() -> ro.call(new NewOids(ro.id(), 1)))
            .isInstanceOf(ReadOnlyException.class);
      }
      try (TestClient unknown = new TestClient(server.address())) {
        assertThatThrownBy(() -> unknown.call(new Register(unknown.id(), "nosuch", false)))
            .isInstanceOf(InvalidValueException.class)
            .hasMessageContaining("nosuch");
      }
    }
  }

  @Test
  void twoStoragesCannotShareANameOrAFolder() {
    Path a = dir.resolve("a");
    assertThatThrownBy(() ->
            ZeoServer.start(
                ServerConfig.inMemory(),
                Limits.defaults(),
                null,
                List.of(new StorageSpec("1", a, false))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'1'");
    assertThatThrownBy(() ->
            ZeoServer.start(
                ServerConfig.inMemory().withData(a),
                Limits.defaults(),
                null,
                List.of(new StorageSpec("two", a, false))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storage 'two'");
    assertThatThrownBy(() -> StorageSpec.parse("noequals"))
        .hasMessage(
            "storage: 'noequals' (expected:"
                + " NAME=DIR[,read-only][,compression=none|lz4|zstd][,dedup=on|off])");
    assertThat(StorageSpec.parse("x=/srv/x,read-only"))
        .isEqualTo(new StorageSpec("x", Path.of("/srv/x"), true));
    assertThat(StorageSpec.parse("x=/srv/x,compression=ZSTD,read-only"))
        .isEqualTo(new StorageSpec("x", Path.of("/srv/x"), true, Compression.ZSTD));
    assertThat(StorageSpec.parse("x=/srv/x,read-only,compression=none"))
        .isEqualTo(new StorageSpec("x", Path.of("/srv/x"), true, Compression.NONE));
    assertThat(StorageSpec.parse("x=/srv/x,dedup=on,compression=none"))
        .isEqualTo(new StorageSpec("x", Path.of("/srv/x"), false, Compression.NONE, true));
    assertThat(StorageSpec.parse("x=/srv/x,dedup=off").dedup()).isFalse();
    assertThatThrownBy(() -> StorageSpec.parse("x=/srv/x,dedup=yes"))
        .hasMessageContaining("dedup 'yes'")
        .hasMessageContaining("dedup=on|off");
    assertThatThrownBy(() -> StorageSpec.parse("x=/srv/x,compression=gzip"))
        .hasMessageContaining("'gzip'")
        .hasMessageContaining("expected: none, lz4 or zstd");
  }

  @Test
  void theCommandLineAndTheConfigFileAddStoragesThatKeepTheirDataAcrossRestarts() throws Exception {
    Path archive = dir.resolve("archive");
    Path yaml = dir.resolve("zbig.yaml");
    // first run: the archive is writable, and filled
    Files.writeString(yaml, "listen: 127.0.0.1:0\nadd-storage:\n  - archive=" + archive + "\n");
    Process p =
        ConfigFileTest.serve("--config", yaml.toString(), "--data", dir.resolve("main").toString());
    Tid t;
    try {
      String ready = ConfigFileTest.lineWith(p, "ready on");
      assertThat(ready).contains("'archive' from " + archive);
      try (TestClient c = new TestClient(portOf(ready))) {
        c.call(new Register(c.id(), "archive", false));
        t = commit(c, 1, Oid.ROOT, Tid.Z64, "kept");
      }
    } finally {
      p.destroy();
      p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
    }
    // second run: the flag wins over the file, and makes the archive read-only
    p =
        ConfigFileTest.serve(
            "--config",
            yaml.toString(),
            "--data",
            dir.resolve("main").toString(),
            "--add-storage",
            "archive=" + archive + ",read-only");
    try {
      String ready = ConfigFileTest.lineWith(p, "ready on");
      assertThat(ready).contains("'archive' from " + archive + " (read-only)");
      try (TestClient c = new TestClient(portOf(ready))) {
        assertThat(c.call(new Register(c.id(), "archive", true))).contains(t);
        assertThat(c.call(LoadBefore.of(Oid.ROOT, Tid.MAX)).orElseThrow().data())
            .isEqualTo(Bytes.utf8("kept"));
      }
      try (TestClient c = new TestClient(portOf(ready))) {
        assertThatThrownBy(() -> c.call(new Register(c.id(), "archive", false)))
            .isInstanceOf(ReadOnlyException.class);
      }
    } finally {
      p.destroy();
      p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  private static InetSocketAddress portOf(String ready) {
    return new InetSocketAddress(
        "127.0.0.1", Integer.parseInt(ready.replaceAll(".*ready on [^:]+:(\\d+) .*", "$1")));
  }

  @Test
  void aStorageWithDedupServesWholeRecordsAndReportsWhatItSaves() throws Exception {
    byte[] block = new byte[2 << 20];
    new java.util.Random(3).nextBytes(block);
    try (ZeoServer server =
            ZeoServer.start(
                ServerConfig.inMemory().withData(dir.resolve("main")),
                Limits.defaults(),
                null,
                List.of(
                    new StorageSpec(
                        "blocks", dir.resolve("blocks"), false, Compression.DEFAULT, true)));
        TestClient c = new TestClient(server.address())) {
      c.call(new Register(c.id(), "blocks", false));
      Tid serial = Tid.Z64;
      List<Bytes> written = new java.util.ArrayList<>();
      List<Tid> tids = new java.util.ArrayList<>();
      for (int t = 1; t <= 10; t++) {
        block[t * 1000] ^= 1; // eight bytes of a 2 MiB block change in each transaction
        Bytes data = Bytes.wrap(block.clone());
        c.send(new TpcBegin(t, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        c.send(new StoreA(new Oid(1), serial, data, t));
        assertThat(c.call(new Vote(c.id(), t))).isEqualTo(VoteResult.OK);
        serial = c.call(new TpcFinish(c.id(), t));
        written.add(data);
        tids.add(serial);
      }
      // every revision reads back whole, the newest and the older ones
      assertThat(c.call(LoadBefore.of(new Oid(1), Tid.MAX)).orElseThrow().data())
          .isEqualTo(written.getLast());
      for (int i = 0; i < tids.size(); i++) {
        Tid before = new Tid(tids.get(i).value() + 1);
        assertThat(c.call(LoadBefore.of(new Oid(1), before)).orElseThrow().data())
            .isEqualTo(written.get(i));
      }
      Map<String, Object> status = server.status().get("blocks");
      long logical = (Long) status.get("logical-bytes");
      long stored = (Long) status.get("stored-bytes");
      assertThat(logical).isEqualTo(10L * (2 << 20));
      assertThat(stored).isLessThan((2 << 20) + 10L * 40_000); // one block, then a chunk each
      assertThat((Double) status.get("dedup-ratio")).isGreaterThan(8.0);
      // the folder's files hold at least the one block (in the write-ahead log until a flush)
      assertThat((Long) status.get("disk-bytes")).isGreaterThan(2L << 20);
      // the main storage, without dedup, says so: ratio 1
      assertThat((Double) server.status().get("1").get("dedup-ratio")).isEqualTo(1.0);
    }
  }
}
