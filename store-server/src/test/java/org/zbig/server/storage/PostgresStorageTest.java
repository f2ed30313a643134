package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;
import org.zbig.zodb.storage.TransactionInfo;

/** The contract on PostgreSQL, plus what only a shared database can show. */
class PostgresStorageTest extends StorageContract {
  @TempDir Path dir;
  private PostgresTestDatabase db;

  @Override
  protected Storage open() {
    if (db == null) {
      db = PostgresTestDatabase.create();
    }
    return openAt(dir.resolve("blobs"));
  }

  private PostgresStorage openAt(Path blobs) {
    return PostgresStorage.open(db.url(), null, null, 4, blobs);
  }

  @AfterEach
  void dropSchema() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void reopenedStorageKeepsHistoryTidsAndOids() {
    storage.commit(new Tid(77), META, List.of(Write.data(new Oid(4), Bytes.utf8("kept"))));
    storage.newOids(10);
    storage.close();
    storage = open();
    assertThat(storage.lastTransaction()).isEqualTo(new Tid(77));
    assertThat(storage.loadSerial(new Oid(4), new Tid(77))).isEqualTo(Bytes.utf8("kept"));
    assertThat(storage.newOids(1)).containsExactly(new Oid(15));
    assertThat(storage.objectCount()).isEqualTo(1);
  }

  /** The database's oid mark, read directly. */
  private long maxOidInDatabase() throws java.sql.SQLException {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.url());
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("select max_oid from zbig_meta")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void newOidsComeFromBlocksThatServersSharingTheDatabaseNeverOverlap() throws Exception {
    storage.newOids(1);
    long mark = maxOidInDatabase();
    for (int i = 0; i < 100; i++) {
      storage.newOids(10);
    }
    assertThat(maxOidInDatabase()).as("one reservation for 1,001 oids").isEqualTo(mark);
    try (PostgresStorage other = openAt(dir.resolve("other-blobs"))) {
      java.util.Set<Oid> seen = new java.util.HashSet<>();
      for (int i = 0; i < 1000; i++) { // two servers' calls interleaved, across several blocks
        for (Oid o : storage.newOids(7)) {
          assertThat(seen.add(o)).as("%s handed out twice", o).isTrue();
        }
        for (Oid o : other.newOids(5)) {
          assertThat(seen.add(o)).as("%s handed out twice", o).isTrue();
        }
      }
      // an oid another server stored above this server's block: once caught up, new oids are
      // above it
      long high = maxOidInDatabase() + 100_000;
      other.commit(new Tid(10), META, List.of(Write.data(new Oid(high), Bytes.utf8("x"))));
      storage.catchUp();
      assertThat(storage.newOids(1).getFirst().value()).isGreaterThan(high);
    }
  }

  @Test
  void aCleanCloseGivesTheRestOfItsBlockBack() throws Exception {
    List<Oid> got = storage.newOids(10);
    assertThat(maxOidInDatabase()).isGreaterThan(got.getLast().value() + 1000);
    storage.close();
    assertThat(maxOidInDatabase()).isEqualTo(got.getLast().value());
    storage = open();
    assertThat(storage.newOids(1)).containsExactly(new Oid(got.getLast().value() + 1));
  }

  @Test
  void anotherServersCommitIsInvisibleUntilCaughtUp() {
    try (PostgresStorage other = openAt(dir.resolve("other-blobs"))) {
      other.commit(new Tid(10), META, List.of(Write.data(new Oid(1), Bytes.utf8("a"))));
      assertThat(storage.lastTransaction()).isEqualTo(Tid.Z64);
      assertThatThrownBy(() -> storage.loadBefore(new Oid(1), Tid.MAX))
          .isInstanceOf(NoSuchObjectException.class);
      // a commit here must not skip the unpublished one
      assertThatThrownBy(() ->
              storage.commit(new Tid(20), META, List.of(Write.data(new Oid(2), Bytes.utf8("b")))))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("another server committed");
      assertThat(storage.catchUp().keySet()).containsExactly(new Tid(10));
      assertThat(storage.catchUp()).isEmpty();
      assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data())
          .isEqualTo(Bytes.utf8("a"));
      storage.commit(new Tid(20), META, List.of(Write.data(new Oid(2), Bytes.utf8("b"))));
      assertThat(other.catchUp()).containsExactly(Map.entry(new Tid(20), List.of(new Oid(2))));
    }
  }

  /**
   * Current revisions are served from memory once loaded, and dropped when a commit of this server
   * or a caught-up commit of another one changes their object; a pack empties the cache.
   */
  @Test
  void currentRevisionsAreCachedUntilAPublishedCommitChangesThem() {
    PostgresStorage mine = (PostgresStorage) storage;
    mine.commit(new Tid(10), META, List.of(Write.data(new Oid(1), data("v1"))));
    assertThat(mine.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(data("v1"));
    long hits = mine.current.stats()[2];
    assertThat(mine.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(data("v1"));
    assertThat(mine.current.stats()[2]).isEqualTo(hits + 1);
    // this server's commit
    mine.commit(new Tid(20), META, List.of(Write.data(new Oid(1), data("v2"))));
    assertThat(mine.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(data("v2"));
    mine.loadBefore(new Oid(1), Tid.MAX); // cached again
    try (PostgresStorage other = openAt(dir.resolve("other-blobs"))) {
      other.catchUp();
      other.commit(new Tid(30), META, List.of(Write.data(new Oid(1), data("v3"))));
      // not published here yet: the snapshot stays at 20, from the cache or not
      assertThat(mine.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(data("v2"));
      assertThat(mine.catchUp().keySet()).containsExactly(new Tid(30));
      LoadResult now = mine.loadBefore(new Oid(1), Tid.MAX).orElseThrow();
      assertThat(now.data()).isEqualTo(data("v3"));
      assertThat(now.start()).isEqualTo(new Tid(30));
      assertThat(now.end()).isNull();
      // an older snapshot is read from the database, with its end
      assertThat(mine.loadBefore(new Oid(1), new Tid(30)).orElseThrow())
          .isEqualTo(new LoadResult(data("v2"), new Tid(20), new Tid(30)));
    }
    mine.loadBefore(new Oid(1), Tid.MAX);
    assertThat(mine.current.stats()[0]).isEqualTo(1);
    mine.pack(new Tid(30), true);
    assertThat(mine.current.stats()[0]).isZero();
  }

  @Test
  void blobsReachAnotherServerThroughTheDatabase() throws Exception {
    try (PostgresStorage other = openAt(dir.resolve("other-blobs"))) {
      Path up = other.newBlobFile();
      byte[] big = new byte[(1 << 20) + 5]; // two chunks
      big[0] = 7;
      big[big.length - 1] = 9;
      Files.write(up, big);
      other.commit(
          new Tid(10), META, List.of(Write.blob(new Oid(1), StorageContract.mapping("b"), up)));
      storage.catchUp();
      Path p = storage.blobFile(new Oid(1), new Tid(10));
      assertThat(p).startsWith(dir.resolve("blobs"));
      assertThat(Files.readAllBytes(p)).isEqualTo(big);
    }
  }

  @Test
  void unsignedTidsAndOidsKeepTheirOrder() {
    Oid high = new Oid(-2L); // 0xfffffffffffffffe
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), Bytes.utf8("low"))));
    storage.commit(new Tid(-3L), META, List.of(Write.data(high, Bytes.utf8("high"))));
    assertThat(storage.lastTransaction()).isEqualTo(new Tid(-3L));
    List<Tid> tids = new ArrayList<>();
    for (TransactionInfo t : storage.transactions(null, null)) {
      tids.add(t.tid());
    }
    assertThat(tids).containsExactly(new Tid(5), new Tid(-3L));
    var first = storage.recordAtOrAfter(null).orElseThrow();
    assertThat(first.next()).isEqualTo(high);
    assertThat(storage.recordAtOrAfter(high).orElseThrow().data()).isEqualTo(Bytes.utf8("high"));
  }

  @Test
  void iterationPagesThroughManyTransactionsInBothDirections() {
    int n = 1203; // more than two pages
    for (int i = 1; i <= n; i++) {
      storage.commit(
          new Tid(i * 10L), META, List.of(Write.data(new Oid(i % 7), Bytes.utf8("v" + i))), false);
    }
    storage.sync();
    List<Long> up = new ArrayList<>();
    storage.transactions(null, null).forEach(t -> up.add(t.tid().value()));
    assertThat(up).hasSize(n).isSorted().startsWith(10L).endsWith(n * 10L);
    List<Long> down = new ArrayList<>();
    storage.transactionsNewestFirst().forEach(t -> down.add(t.tid().value()));
    assertThat(down).hasSize(n).isEqualTo(up.reversed());
    List<Long> middle = new ArrayList<>();
    storage.transactions(new Tid(4995), new Tid(10_005)).forEach(t -> middle.add(t.tid().value()));
    assertThat(middle).hasSize(501).startsWith(5000L).endsWith(10_000L);
  }

  @Test
  void anUnreachableDatabaseIsReportedWithItsCauseAndWithoutThePassword() {
    assertThatThrownBy(() ->
            PostgresStorage.open(
                "jdbc:postgresql://127.0.0.1:1/none?user=u&password=secret",
                null,
                null,
                2,
                dir.resolve("unreachable")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(
            "cannot connect to jdbc:postgresql://127.0.0.1:1/none?user=u&password=***")
        .hasMessageContaining("refused")
        .message()
        .doesNotContain("secret");
  }

  @Test
  void aCommitFailingUnderTheCommitLockReleasesItForOtherServers() throws Exception {
    PostgresStorage mine = (PostgresStorage) storage;
    db.execute("alter table zbig_txn add constraint refuse check (size < 0)");
    mine.lockCommits();
    assertThatThrownBy(
            () -> mine.commit(new Tid(10), META, List.of(Write.data(new Oid(1), data("x")))))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("commit 000000000000000a failed")
        .hasMessageContaining("refuse");
    // the failed session is closed, not returned to the pool still holding the lock
    try (PostgresStorage other = openAt(dir.resolve("other-blobs"))) {
      var locked = java.util.concurrent.CompletableFuture.runAsync(other::lockCommits);
      locked.get(5, java.util.concurrent.TimeUnit.SECONDS);
      other.unlockCommits();
    }
    mine.unlockCommits(); // nothing held any more: a no-op
    db.execute("alter table zbig_txn drop constraint refuse");
    mine.commit(new Tid(10), META, List.of(Write.data(new Oid(1), data("x"))));
    assertThat(mine.lastTransaction()).isEqualTo(new Tid(10));
  }

  private static Bytes data(String s) {
    return Bytes.utf8(s);
  }

  /**
   * Fault injection: the other server's {@code pg_notify} is shadowed by a no-op earlier in its
   * search path, so its commit sends no notification at all. The listener's poll still catches up
   * with it, within about a second.
   */
  @Test
  void aCommitWhoseNotificationIsLostIsCaughtUpByThePoll() throws Exception {
    db.execute(
        "create function "
            + db.schema()
            + ".pg_notify(text, text) returns void language sql as 'select null::void'");
    PostgresStorage mine = (PostgresStorage) storage;
    List<Tid> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (java.sql.Connection watch = java.sql.DriverManager.getConnection(db.url());
        PostgresStorage silent =
            PostgresStorage.open(
                db.url() + ",pg_catalog", null, null, 4, dir.resolve("other-blobs"))) {
      try (java.sql.Statement st = watch.createStatement()) {
        st.execute("listen \"" + mine.channel() + "\"");
      }
      mine.onForeignCommits(() -> seen.addAll(mine.catchUp().keySet()));
      silent.commit(new Tid(10), META, List.of(Write.data(new Oid(1), data("x"))));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(seen).containsExactly(new Tid(10));
      assertThat(mine.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(data("x"));
      // the notification really was lost: a listener of the channel got nothing
      org.postgresql.PGNotification[] got =
          watch.unwrap(org.postgresql.PGConnection.class).getNotifications(200);
      assertThat(got == null ? 0 : got.length).isZero();
    }
  }

  @Test
  void aUrlOfAnotherDatabaseKindIsRefusedClearly() {
    assertThatThrownBy(() -> PostgresStorage.open("jdbc:mysql://localhost/x", null, null, 2, dir))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("expected: jdbc:postgresql://");
  }
}
