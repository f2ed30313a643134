package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.storage.FileStorageImport;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.*;

/** {@code zbig-server backup}: a consistent, incremental copy of a running server's storage. */
class BackupTest {
  @TempDir Path dir;

  private static String[] run(String... args) {
    return AdminCommandsTest.run(args);
  }

  /** Every transaction with its metadata and records, as the iterator shows them. */
  private static List<String> history(Storage s, Tid upTo) {
    List<String> all = new ArrayList<>();
    for (TransactionInfo t : s.transactions(null, upTo)) {
      all.add(t.tid().toHex() + " " + t.user() + " " + t.description() + " " + t.extension());
      for (RecordInfo r : s.records(t.tid())) {
        all.add("  " + r);
      }
    }
    return all;
  }

  private static long transactions(Storage s, Tid upTo) {
    return history(s, upTo).stream().filter(l -> !l.startsWith(" ")).count();
  }

  private static Tid commitBlob(TestClient c, long txn, Oid o, Tid serial, byte[] blob) {
    // a Blob's record as ZODB writes it: the class, then the state (None)
    Bytes record =
        Bytes.wrap(
            "\u0080\u0003cZODB.blob\nBlob\nq\u0000.\u0080\u0003N."
                .getBytes(StandardCharsets.ISO_8859_1));
    c.send(new TpcBegin(txn, Bytes.utf8("/ backup"), Bytes.utf8("blob"), Map.of(), null, " "));
    c.send(new StoreBlobStart());
    c.send(new StoreBlobChunk(Bytes.wrap(blob)));
    c.send(new StoreBlobEnd(o, serial, record, txn));
    assertThat(c.call(new Vote(c.id(), txn))).isEqualTo(VoteResult.OK);
    return c.call(new TpcFinish(c.id(), txn));
  }

  @Test
  void aBackupOfARunningServerOpensAsTheServerWasAndLaterRunsCopyOnlyWhatIsNew() throws Exception {
    Path data = dir.resolve("data");
    try (var s = KvStorage.rocks(data)) {
      FileStorageImport.run(Path.of(BackupTest.class.getResource("/fs/Data.fs").toURI()), s);
    }
    Path backup = dir.resolve("backup");
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory().withData(data));
        TestClient c = new TestClient(server.address())) {
      c.call(new Register(c.id(), "1", false));
      String hostPort = "127.0.0.1:" + server.address().getPort();
      Storage live = server.served().storage;
      // commits keep going while the first backup runs
      AtomicBoolean stop = new AtomicBoolean();
      CompletableFuture<Integer> writer =
          CompletableFuture.supplyAsync(() -> {
            int n = 0;
            try (TestClient w = new TestClient(server.address())) {
              w.call(new Register(w.id(), "1", false));
              Oid o = w.call(new NewOids(w.id(), 1)).getFirst();
              Tid serial = Tid.Z64;
              while (!stop.get()) {
                w.send(new TpcBegin(++n, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
                w.send(new StoreA(o, serial, Bytes.utf8("rev " + n), n));
                w.call(new Vote(w.id(), n));
                serial = w.call(new TpcFinish(w.id(), n));
              }
            }
            return n;
          });
      String[] first = run("backup", "--server", hostPort, backup.toString());
      stop.set(true);
      assertThat(writer.get()).isPositive();
      assertThat(first[0]).as(first[2]).isEqualTo("0");
      assertThat(first[1]).contains("(full, last tid ");
      Tid at = Tid.ofHex(first[1].replaceAll("(?s).*last tid ([0-9a-f]{16}).*", "$1"));
      try (var copy = KvStorage.rocks(backup)) {
        // exactly the server's history up to the tid the backup names: nothing partial, nothing
        // more
        assertThat(copy.lastTransaction()).isEqualTo(at);
        assertThat(history(copy, null)).isEqualTo(history(live, at));
      }
      // an undo (a back-pointer) and a blob, then an incremental backup
      Oid o = c.call(new NewOids(c.id(), 1)).getFirst();
      byte[] blob = new byte[150_000];
      new java.util.Random(3).nextBytes(blob);
      Tid blobTid = commitBlob(c, 1, o, Tid.Z64, blob);
      c.send(new TpcBegin(2, Bytes.utf8("/ backup"), Bytes.utf8("undo"), Map.of(), null, " "));
      c.send(new UndoA(Bytes.wrap(java.util.Base64.getEncoder().encode(blobTid.toBytes())), 2));
      c.call(new Vote(c.id(), 2));
      c.call(new TpcFinish(c.id(), 2));
      String[] second = run("backup", "--server", hostPort, backup.toString());
      assertThat(second[0]).as(second[2]).isEqualTo("0");
      // the writer's commits after the first backup, and these two
      long newer = transactions(live, null) - transactions(live, at);
      assertThat(newer).isGreaterThanOrEqualTo(2);
      assertThat(second[1])
          .contains("backed up " + newer + " transactions")
          .contains("1 blobs")
          .contains("incremental after " + at.toHex());
      String[] third = run("backup", "--server", hostPort, backup.toString());
      assertThat(third[1]).contains("is up to date");
      try (var copy = KvStorage.rocks(backup)) {
        assertThat(history(copy, null)).isEqualTo(history(live, null));
        assertThat(Files.readAllBytes(copy.blobFile(o, blobTid))).isEqualTo(blob);
      }
    }
    // restore: a server on the backup folder serves what the original served
    try (ZeoServer restored = ZeoServer.start(ServerConfig.inMemory().withData(backup));
        TestClient r = new TestClient(restored.address());
        var original = KvStorage.rocks(data)) {
      assertThat(r.call(new Register(r.id(), "1", true))).contains(original.lastTransaction());
      assertThat(r.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .isEqualTo(original.loadBefore(Oid.ROOT, Tid.MAX));
      List<Map<String, Object>> log = r.call(new UndoLog(r.id(), 0, -100));
      assertThat((long) log.size()).isEqualTo(Math.min(100, transactions(original, null)));
      assertThat(log.getFirst().get("description")).isEqualTo(Bytes.utf8("undo"));
    }
  }

  @Test
  void aBackupOfAnotherStorageIsRefusedAndLeftAsItWas() throws Exception {
    Path backup = dir.resolve("backup");
    try (ZeoServer bigger = ZeoServer.start(ServerConfig.inMemory());
        TestClient c = new TestClient(bigger.address())) {
      c.call(new Register(c.id(), "1", false));
      for (int i = 1; i <= 2; i++) {
        c.send(new TpcBegin(i, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        c.send(new StoreA(new Oid(i), Tid.Z64, Bytes.utf8("x"), i));
        c.call(new Vote(c.id(), i));
        c.call(new TpcFinish(c.id(), i));
      }
      assertThat(
              run(
                  "backup",
                  "--server",
                  "127.0.0.1:" + bigger.address().getPort(),
                  backup.toString())[0])
          .isEqualTo("0");
    }
    try (ZeoServer empty = ZeoServer.start(ServerConfig.inMemory())) {
      String[] r =
          run("backup", "--server", "127.0.0.1:" + empty.address().getPort(), backup.toString());
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2])
          .contains("is newer than the server's")
          .contains("expected: a backup of this storage");
    }
    try (var copy = KvStorage.rocks(backup)) {
      assertThat(history(copy, null)).hasSize(4);
    }
  }
}
