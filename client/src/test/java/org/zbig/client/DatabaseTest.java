package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/**
 * Databases, connections and persistent objects against a real server on loopback: our server in
 * this JVM, or, with {@code -Dzbig.server=HOST:PORT}, any ZEO server already running (for the
 * checks against Python's ZEO by hand).
 */
class DatabaseTest {
  private ZeoServer server;
  private final List<AutoCloseable> open = new ArrayList<>();

  static final String EXTERNAL = System.getProperty("zbig.server");
  private java.net.InetSocketAddress address;

  @BeforeEach
  void start() throws Exception {
    if (EXTERNAL != null) {
      int colon = EXTERNAL.lastIndexOf(':');
      address =
          new java.net.InetSocketAddress(
              EXTERNAL.substring(0, colon), Integer.parseInt(EXTERNAL.substring(colon + 1)));
    } else {
      server = ZeoServer.start(ServerConfig.inMemory());
      address = server.address();
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Database db() {
    Database db =
        Database.open(
            address,
            ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
            16 << 20);
    open.add(db);
    return db;
  }

  /** A persistent class of the application, registered under a Python name. */
  static final class Account extends Persistent {
    private long balance;

    Account() {}

    Account(long balance) {
      this.balance = balance;
    }

    long balance() {
      readAccess();
      return balance;
    }

    void add(long amount) {
      writeAccess();
      balance += amount;
    }

    @Override
    protected Object getState() {
      return Map.of("balance", balance);
    }

    @Override
    protected void setState(Object state) {
      balance = (Long) ((Map<?, ?>) state).get("balance");
    }

    @Override
    protected void clearState() {
      balance = 0;
    }
  }

  private static void registerAccount(Database db) {
    db.registry().register("bank.Account", Account.class, Account::new);
  }

  @Test
  void theRootIsCreatedOnceAndObjectsTravelBetweenDatabases() {
    Database a = db();
    Database b = db();
    try (Connection c = a.open()) {
      PersistentMapping root = c.root();
      assertThat(root.oid()).isEqualTo(Oid.ROOT);
      PersistentMapping folder = new PersistentMapping();
      folder.put("counter", new Length(41));
      folder.put("name", "folder one");
      folder.put("blob", Bytes.utf8("raw"));
      root.put("folder", folder);
      root.put("list", List.of(1L, "two"));
      Tid tid = c.commit("two objects");
      assertThat(tid).isNotNull();
      assertThat(folder.oid()).isNotNull();
      assertThat(folder.serial()).isEqualTo(tid);
      assertThat(folder.state()).isEqualTo(Persistent.State.UP_TO_DATE);
    }
    try (Connection c = b.open()) {
      c.sync(); // another database: it learns of the commit from the server
      PersistentMapping folder = c.root().get("folder", PersistentMapping.class);
      assertThat(folder.state()).isEqualTo(Persistent.State.GHOST);
      Length counter = folder.get("counter", Length.class);
      assertThat(counter.value()).isEqualTo(41);
      assertThat(folder.get("name")).isEqualTo("folder one");
      assertThat(folder.get("blob")).isEqualTo(Bytes.utf8("raw"));
      assertThat(c.root().get("list")).isEqualTo(List.of(1L, "two"));
      // one Java object per oid
      assertThat(c.root().get("folder")).isSameAs(folder);
      assertThat(c.get(folder.oid())).isSameAs(folder);
    }
  }

  @Test
  void aTransactionSeesItsSnapshotUntilItsNextBoundary() {
    Database a = db();
    Database b = db();
    try (Connection writer = a.open();
        Connection sameDb = a.open();
        Connection otherDb = b.open()) {
      writer.root().put("x", 1L);
      writer.commit();
      sameDb.newTransaction();
      otherDb.sync(); // another database: its invalidation comes from the server
      assertThat(sameDb.root().get("x")).isEqualTo(1L);
      assertThat(otherDb.root().get("x")).isEqualTo(1L);
      writer.root().put("x", 2L);
      Tid t2 = writer.commit();
      // make sure the other database has received the invalidation
      b.zeo().invoke(Ping::new);
      assertThat(sameDb.root().get("x")).isEqualTo(1L);
      assertThat(otherDb.root().get("x")).isEqualTo(1L);
      sameDb.newTransaction();
      otherDb.newTransaction();
      assertThat(sameDb.snapshot()).isGreaterThanOrEqualTo(t2);
      assertThat(sameDb.root().get("x")).isEqualTo(2L);
      assertThat(otherDb.root().get("x")).isEqualTo(2L);
    }
  }

  @Test
  void aConflictThatCannotBeResolvedIsRaisedAndAborts() {
    Database a = db();
    registerAccount(a);
    try (Connection c1 = a.open();
        Connection c2 = a.open()) {
      c1.root().put("acct", new Account(10));
      c1.commit();
      c2.newTransaction();
      Account mine = c2.root().get("acct", Account.class);
      mine.add(5);
      Account theirs = c1.root().get("acct", Account.class);
      theirs.add(1);
      c1.commit();
      assertThatThrownBy(c2::commit)
          .isInstanceOfSatisfying(
              ConflictException.class,
              e -> {
                assertThat(e.oid()).contains(mine.oid());
                assertThat(e.className()).contains("bank.Account");
              });
      // aborted: the next transaction sees the committed value
      assertThat(mine.balance()).isEqualTo(11);
    }
  }

  @Test
  void concurrentIncrementsWithRetriesAndLengthResolutionAreExact(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    // against a server in a process of its own, on RocksDB
    ServerProcess process = ServerProcess.start(dir.resolve("data"));
    open.add(process);
    if (EXTERNAL == null) {
      address = process.address();
    }
    Database setup = db();
    registerAccount(setup);
    setup.runVoid(c -> {
      c.root().put("acct", new Account(0));
      c.root().put("len", new Length(0));
    });
    int threads = 4;
    int each = 25;
    AtomicInteger attempts = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Database db = t % 2 == 0 ? setup : db();
      registerAccount(db);
      done.add(
          pool.submit(() -> {
            for (int i = 0; i < each; i++) {
              db.run(
                  50,
                  c -> {
                    attempts.incrementAndGet();
                    c.root().get("acct", Account.class).add(1);
                    c.root().get("len", Length.class).change(1);
                    return null;
                  });
            }
            return null;
          }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    try (Connection c = db().open()) {
      registerAccount(c.database());
      assertThat(c.root().get("acct", Account.class).balance()).isEqualTo((long) threads * each);
      assertThat(c.root().get("len", Length.class).value()).isEqualTo((long) threads * each);
    }
    assertThat(attempts.get()).isGreaterThanOrEqualTo(threads * each);
  }

  @Test
  void lengthConflictsResolveWithoutRetry() {
    Database a = db();
    try (Connection c1 = a.open();
        Connection c2 = a.open()) {
      c1.root().put("n", new Length(10));
      c1.commit();
      c2.newTransaction();
      c2.root().get("n", Length.class).change(7);
      c1.root().get("n", Length.class).change(5);
      c1.commit();
      c2.commit(); // conflict resolved on the client: 10 + 5 + 7
      c1.newTransaction();
      assertThat(c1.root().get("n", Length.class).value()).isEqualTo(22);
      assertThat(c2.root().get("n", Length.class).value()).isEqualTo(22);
    }
  }

  @Test
  void abortDropsChangesAndNewObjects() {
    Database a = db();
    try (Connection c = a.open()) {
      c.root().put("x", 1L);
      c.commit();
      PersistentMapping fresh = new PersistentMapping();
      c.root().put("x", 2L);
      c.root().put("fresh", fresh);
      c.add(fresh);
      c.abort();
      assertThat(c.root().get("x")).isEqualTo(1L);
      assertThat(c.root().containsKey("fresh")).isFalse();
      assertThat(fresh.oid()).isNull();
      assertThat(fresh.state()).isEqualTo(Persistent.State.NEW);
    }
  }

  @Test
  void connectionsAtDifferentSnapshotsShareTheRecordCacheCorrectly() {
    Database a = db();
    try (Connection old = a.open();
        Connection writer = a.open()) {
      old.setCacheSize(1);
      writer.root().put("m", new PersistentMapping());
      writer.root().get("m", PersistentMapping.class).put("v", 1L);
      writer.commit();
      old.newTransaction();
      PersistentMapping m = old.root().get("m", PersistentMapping.class);
      assertThat(m.get("v")).isEqualTo(1L);
      Tid before = old.snapshot();
      for (long v = 2; v <= 4; v++) {
        writer.root().get("m", PersistentMapping.class).put("v", v);
        writer.commit();
        try (Connection fresh = a.open()) {
          assertThat(fresh.root().get("m", PersistentMapping.class).get("v")).isEqualTo(v);
        }
        // the old snapshot's objects become ghosts (cache of one) and reload as of its snapshot
        old.root().get("other");
        assertThat(m.get("v")).isEqualTo(1L);
        assertThat(old.snapshot()).isEqualTo(before);
      }
      assertThat(a.cachedRecords()).isGreaterThanOrEqualTo(2);
      old.newTransaction();
      assertThat(m.get("v")).isEqualTo(4L);
    }
  }

  @Test
  void bigRecordsAreLoadedButNotKeptInTheRecordCache() {
    Database a = db();
    Oid small;
    Oid big;
    Tid at;
    try (Connection c = a.open()) {
      PersistentMapping s = new PersistentMapping();
      s.put("v", 1L);
      PersistentMapping b = new PersistentMapping();
      b.put("v", Bytes.wrap(new byte[RecordCache.MAX_RECORD]));
      c.root().put("s", s);
      c.root().put("b", b);
      c.commit();
      small = s.oid();
      big = b.oid();
      c.newTransaction();
      at = c.snapshot();
    }
    int before = a.cachedRecords();
    assertThat(a.loadRecord(small, at).data().length()).isLessThan(RecordCache.MAX_RECORD);
    assertThat(a.cachedRecords()).isEqualTo(before + 1);
    assertThat(a.loadRecord(big, at).data().length()).isGreaterThan(RecordCache.MAX_RECORD);
    assertThat(a.loadRecord(big, at).data().length()).isGreaterThan(RecordCache.MAX_RECORD);
    assertThat(a.cachedRecords()).isEqualTo(before + 1);
  }

  @Test
  void theCacheKeepsAtMostItsSizeLoadedAndIdentityHolds() {
    Database a = db();
    a.runVoid(c -> {
      for (int i = 0; i < 100; i++) {
        c.root().put("m" + i, new Length(i));
      }
    });
    try (Connection c = a.open()) {
      c.setCacheSize(10);
      List<Length> all = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        Length l = c.root().get("m" + i, Length.class);
        assertThat(l.value()).isEqualTo(i);
        all.add(l);
      }
      long loaded = all.stream().filter(l -> l.state() == Persistent.State.UP_TO_DATE).count();
      assertThat(loaded).isLessThanOrEqualTo(10);
      // a ghost loads again on access, and is still the same object
      assertThat(all.getFirst().value()).isZero();
      assertThat(c.root().get("m0")).isSameAs(all.getFirst());
    }
  }

  @Test
  void objectsOfUnknownClassesKeepTheirRecordsByteForByte() {
    Database a = db();
    Oid oid;
    Bytes record =
        Bytes.wrap(
            new DataRecord(
                    ClassMeta.of("some.python.Thing"),
                    Map.of("x", 1L, "ref", new Reference.OidOnly(Oid.ROOT)))
                .encode());
    try (Connection c = a.open()) {
      oid = rawStore(a, c, record);
    }
    try (Connection c = a.open()) {
      OpaqueObject o = c.get(oid, OpaqueObject.class);
      assertThat(o.pythonClass().dotted()).isEqualTo("some.python.Thing");
      assertThat(o.record()).isEqualTo(record);
      assertThat(((Map<?, ?>) o.decoded().state()).get("x")).isEqualTo(1L);
      o.markChanged();
      Tid t = c.commit();
      Bytes stored = a.zeo().invoke(id -> new LoadSerial(id, oid, t));
      assertThat(stored).isEqualTo(record);
    }
  }

  /** Stores a raw record under a fresh oid through another ZEO connection, and syncs {@code c}. */
  private Oid rawStore(Database db, Connection c, Bytes record) {
    Oid oid = db.newOid();
    try (ZeoClient zeo = ZeoClient.open(address, ClientOptions.defaults(), new Quiet())) {
      store(zeo, oid, record);
    }
    c.sync();
    return oid;
  }

  /** A listener that ignores everything. */
  static final class Quiet implements ZeoClient.Listener {
    @Override
    public void invalidate(Tid tid, List<Oid> oids) {}

    @Override
    public void invalidateAll(Tid tid) {}
  }

  private static void store(ZeoClient zeo, Oid oid, Bytes record) {
    long txn = 424242;
    zeo.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    zeo.send(new StoreA(oid, Tid.Z64, record, txn));
    zeo.invoke(id -> new Vote(id, txn));
    zeo.invoke(id -> new TpcFinish(id, txn));
  }

  @Test
  void aCorruptRecordNamesItsOidAndTid() {
    Database a = db();
    Oid oid;
    try (Connection c = a.open()) {
      oid = rawStore(a, c, Bytes.utf8("not a pickle at all"));
    }
    try (Connection c = a.open()) {
      Tid serial = a.zeo().loadCurrent(oid).orElseThrow().start();
      assertThatThrownBy(() -> c.get(oid))
          .isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining(oid.toHex())
          .hasMessageContaining(serial.toHex());
      assertThatThrownBy(() -> c.get(new Oid(999_999))).isInstanceOf(NoSuchObjectException.class);
    }
  }

  @Test
  void theRecordsAreWhatPythonWrites() {
    org.junit.jupiter.api.Assumptions.assumeTrue(EXTERNAL == null, "needs an empty storage");
    // an empty root is byte for byte the vector records/root_empty (docs/formats.md §2)
    Database a = db();
    Bytes root = a.zeo().loadCurrent(Oid.ROOT).orElseThrow().data();
    assertThat(root.toHex())
        .isEqualTo(
            "80036370657273697374656e742e6d617070696e670a50657273697374656e744d617070696e670a"
                + "71002e80037d710158040000006461746171027d7103732e");
  }
}
