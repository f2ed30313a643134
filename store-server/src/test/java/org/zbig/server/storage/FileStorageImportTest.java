package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * Imports the FileStorage written by real ZODB and wendelin.core ({@code testvectors/zodb/fs/}) and
 * checks every transaction, record and current revision against its manifest (docs/formats.md
 * §6.7).
 */
class FileStorageImportTest {
  @TempDir Path dir;
  static Path dataFs;
  static JsonNode manifest;

  @BeforeAll
  static void load() throws Exception {
    dataFs = Path.of(FileStorageImportTest.class.getResource("/fs/Data.fs").toURI());
    manifest =
        new ObjectMapper()
            .readTree(FileStorageImportTest.class.getResourceAsStream("/fs/manifest.json"));
  }

  static String sha256(Bytes b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toByteArray()));
  }

  @Test
  void everyTransactionRecordAndCurrentRevisionMatchesTheManifest() throws Exception {
    try (Storage s = KvStorage.rocks(dir.resolve("data"))) {
      importAndCheck(s);
    }
  }

  @Test
  void importIntoPostgresMatchesTheManifest() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create();
        Storage s = PostgresStorage.open(db.url(), null, null, 4, dir.resolve("blobs"))) {
      importAndCheck(s);
    }
  }

  /** Imports the test vector into {@code s} and checks it against the manifest. */
  static void importAndCheck(Storage s) throws Exception {
    {
      FileStorageImport.Result r = FileStorageImport.run(dataFs, s);
      JsonNode txns = manifest.get("transactions");
      assertThat(r.transactions()).isEqualTo(txns.size());
      assertThat(r.incompleteTailAt()).isEqualTo(-1);
      List<TransactionInfo> imported = new ArrayList<>();
      s.transactions(null, null).forEach(imported::add);
      assertThat(imported).hasSize(txns.size());
      long records = 0;
      for (int i = 0; i < txns.size(); i++) {
        JsonNode t = txns.get(i);
        TransactionInfo got = imported.get(i);
        assertThat(got.tid()).isEqualTo(Tid.ofHex(t.get("tid_hex").asText()));
        assertThat(got.status()).isEqualTo(t.get("status").asText());
        assertThat(got.user()).isEqualTo(Bytes.utf8(t.get("user").asText()));
        assertThat(got.description()).isEqualTo(Bytes.utf8(t.get("description").asText()));
        if (t.get("extension").isNull()) {
          assertThat(got.extension()).isEmpty();
        } else {
          assertThat(got.extension()).containsEntry("generator", "gen_zodb_vectors");
        }
        List<RecordInfo> recs = s.records(got.tid());
        assertThat(recs).hasSize(t.get("records").size());
        for (int j = 0; j < recs.size(); j++) {
          JsonNode m = t.get("records").get(j);
          RecordInfo ri = recs.get(j);
          assertThat(ri.oid()).isEqualTo(new Oid(m.get("oid").asLong()));
          if (m.get("data_len").asLong() > 0) {
            assertThat(ri.data().length()).isEqualTo(m.get("data_len").asInt());
            assertThat(sha256(ri.data())).isEqualTo(m.get("sha256").asText());
          } else {
            // T7's back-pointer: the same data as the record it points to, and its tid
            assertThat(ri.dataTxn()).isNotNull();
            assertThat(ri.data()).isEqualTo(s.loadSerial(ri.oid(), ri.dataTxn()));
          }
          records++;
        }
      }
      assertThat(r.records()).isEqualTo(records);
      var current = manifest.get("current_revision_by_oid").properties();
      for (Map.Entry<String, JsonNode> e : current) {
        Oid oid = new Oid(Long.parseLong(e.getKey()));
        var load = s.loadBefore(oid, Tid.MAX).orElseThrow();
        assertThat(load.start()).isEqualTo(Tid.ofHex(e.getValue().get("tid_hex").asText()));
        assertThat(load.end()).isNull();
        assertThat(sha256(load.data())).isEqualTo(e.getValue().get("data_sha256").asText());
      }
      assertThat(s.objectCount()).isEqualTo(current.size());
      assertThat(s.lastTransaction()).isEqualTo(r.lastTid());
      // the imported history is undoable like any other: T7 undid T6
      assertThat(s.undo(r.lastTid(), Map.of())).hasSize(1);
    }
  }

  @Test
  void anIncompleteLastTransactionIsLeftOutAsZodbDoes() throws Exception {
    byte[] all = Files.readAllBytes(dataFs);
    JsonNode last = manifest.get("transactions").get(manifest.get("transactions").size() - 1);
    int cut = last.get("pos").asInt() + 30;
    Path truncated = dir.resolve("Truncated.fs");
    Files.write(truncated, java.util.Arrays.copyOf(all, cut));
    try (Storage s = KvStorage.inMemory()) {
      FileStorageImport.Result r = FileStorageImport.run(truncated, s);
      assertThat(r.transactions()).isEqualTo(manifest.get("transactions").size() - 1);
      assertThat(r.incompleteTailAt()).isEqualTo(last.get("pos").asLong());
    }
  }

  @Test
  void aDamagedFileIsReportedWithItsPositionAndNothingIsImported() throws Exception {
    byte[] all = Files.readAllBytes(dataFs);
    JsonNode rec = manifest.get("transactions").get(3).get("records").get(0);
    long pos = rec.get("pos").asLong();
    ByteBuffer.wrap(all).putLong((int) pos + 24, 12345); // tloc
    Path damaged = dir.resolve("Damaged.fs");
    Files.write(damaged, all);
    try (Storage s = KvStorage.inMemory()) {
      assertThatThrownBy(() -> FileStorageImport.run(damaged, s))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("damaged at position " + pos)
          .hasMessageContaining("tloc 12345 (expected: ");
      assertThat(s.lastTransaction()).isEqualTo(Tid.Z64);
    }
  }

  @Test
  void aFolderWithTransactionsIsRefused() {
    try (Storage s = KvStorage.inMemory()) {
      s.commit(new Tid(5), StorageContract.META, List.of(Write.data(Oid.ROOT, Bytes.utf8("x"))));
      assertThatThrownBy(() -> FileStorageImport.run(dataFs, s))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("import into an empty folder");
    }
  }

  @Test
  void theCommandLineImportsAndRefusesAFolderInUse() throws Exception {
    Path data = dir.resolve("cli");
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, "UTF-8"));
    int status;
    try {
      status =
          org.zbig.server.cli.MainAccess.run(
              "import-fs", dataFs.toString(), "--data", data.toString());
    } finally {
      System.setOut(out);
    }
    assertThat(status).isZero();
    assertThat(captured.toString("UTF-8"))
        .contains("imported " + manifest.get("transactions").size() + " transactions");
    try (Storage open = KvStorage.rocks(data)) {
      assertThat(open.lastTransaction()).isNotEqualTo(Tid.Z64);
      PrintStream err = System.err;
      ByteArrayOutputStream e = new ByteArrayOutputStream();
      System.setErr(new PrintStream(e, true, "UTF-8"));
      try {
        status =
            org.zbig.server.cli.MainAccess.run(
                "import-fs", dataFs.toString(), "--data", data.toString());
      } finally {
        System.setErr(err);
      }
      assertThat(status).isEqualTo(1);
      assertThat(e.toString("UTF-8")).contains("is another server using it?");
    }
  }
}
