package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.cli.MainAccess;
import org.zbig.server.storage.PostgresStorage;
import org.zbig.server.storage.PostgresTestDatabase;
import org.zbig.zodb.Tid;

/** The command line's options of the PostgreSQL backend, run in-process. */
class PostgresCommandLineTest {
  @TempDir Path dir;

  /** Runs the command line; returns its status and what it printed (stdout, then stderr). */
  private static Object[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(p);
    System.setErr(p);
    int status;
    try {
      status = MainAccess.run(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new Object[] {status, captured.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void importFsIntoADatabase() throws Exception {
    Path dataFs = Path.of(getClass().getResource("/fs/Data.fs").toURI());
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      Object[] r =
          run(
              "import-fs",
              dataFs.toString(),
              "--jdbc-url",
              db.url(),
              "--data",
              dir.resolve("cache").toString());
      assertThat(r[0]).isEqualTo(0);
      assertThat((String) r[1]).contains("imported ").contains("into postgres ");
      try (PostgresStorage s = PostgresStorage.open(db.url(), null, null, 3, dir.resolve("c2"))) {
        assertThat(s.lastTransaction()).isNotEqualTo(Tid.Z64);
      }
    }
  }

  @Test
  void anUnknownBackendIsRefusedNamingTheChoices() {
    Object[] r = run("serve", "--backend", "mongo", "--data", dir.toString());
    assertThat(r[0]).isNotEqualTo(0);
    assertThat((String) r[1]).contains("--backend: 'mongo' (expected: rocksdb or postgres)");
  }

  @Test
  void postgresWithoutAUrlAndAUrlWithoutPostgresAreRefused() {
    Object[] r = run("serve", "--backend", "postgres", "--data", dir.toString());
    assertThat(r[0]).isNotEqualTo(0);
    assertThat((String) r[1]).contains("--jdbc-url: missing (expected: with --backend postgres)");
    r = run("serve", "--jdbc-url", "jdbc:postgresql://x/y", "--data", dir.toString());
    assertThat(r[0]).isNotEqualTo(0);
    assertThat((String) r[1]).contains("--jdbc-url: given with --backend rocksdb");
  }
}
