package org.zbig.client.btree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.Length;
import org.zbig.client.Persistent;
import org.zbig.client.PersistentMapping;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.LoadSerial;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/** Persistent B-trees against a real server, Python's vectors and Python's BTrees. */
class BTreeTest {
  private ZeoServer server;
  private Database db;
  @TempDir Path dir;

  @BeforeEach
  void start() throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory());
    db = open();
  }

  private Database open() {
    return Database.open(
        server.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)),
        32 << 20);
  }

  @AfterEach
  void stop() {
    db.close();
    server.close();
  }

  private Bytes stored(Persistent p) {
    return db.zeo().invoke(id -> new LoadSerial(id, p.oid(), p.serial()));
  }

  private static byte[] vector(String name) throws Exception {
    return BTreeTest.class.getResourceAsStream("/records/" + name + ".bin").readAllBytes();
  }

  @Test
  void aSmallTreeIsOneRecordWithItsBucketInlineAsPythonWritesIt() throws Exception {
    try (Connection c = db.open()) {
      OOBTree t = new OOBTree();
      t.put("b", 10L);
      t.put("c", 10L);
      t.put("a", 10L);
      c.root().put("t", t);
      c.commit();
      assertThat(stored(t).toByteArray()).isEqualTo(vector("oobtree_onebucket"));
      assertThat(t.children()).hasSize(1);
      assertThat(t.children().getFirst().oid()).isNull();
    }
    // a tree Python wrote reads back with its values
    DataRecord py = DataRecord.decode(vector("lobtree_onebucket"));
    assertThat(py.classMeta().type().dotted()).isEqualTo("BTrees.LOBTree.LOBTree");
  }

  /** Bucket sizes of a tree in key order, walking its children. */
  private static List<Integer> bucketSizes(BTree t) {
    List<Integer> out = new ArrayList<>();
    for (Persistent c : t.children()) {
      if (c instanceof Bucket b) {
        out.add(b.size());
      } else {
        out.addAll(bucketSizes((BTree) c));
      }
    }
    return out;
  }

  @Test
  void ascendingInsertsSplitWherePythonSplits() {
    try (Connection c = db.open()) {
      PersistentMapping value = new PersistentMapping();
      c.root().put("value", value);
      LOBTree small = new LOBTree();
      for (long k = 0; k < 100; k++) {
        small.put(k, value);
      }
      assertThat(bucketSizes(small)).containsExactly(30, 30, 40); // records/lobtree_multibucket
      LOBTree big = new LOBTree();
      for (long k = 0; k < 31_000; k++) {
        big.put(k, value);
      }
      // records/lobtree_2level: the root split at 1000 children, then its right child at 501
      List<Integer> perChild = new ArrayList<>();
      for (Persistent inner : big.children()) {
        perChild.add(((BTree) inner).children().size());
      }
      assertThat(perChild).containsExactly(500, 250, 283);
      c.root().put("small", small);
      c.root().put("big", big);
      c.commit();
    }
    try (Connection c = open().open()) {
      LOBTree big = c.root().get("big", LOBTree.class);
      assertThat(big.size()).isEqualTo(31_000);
      assertThat(big.minKey()).isEqualTo(0L);
      assertThat(big.maxKey()).isEqualTo(30_999L);
      assertThat(big.get(12_345L)).isSameAs(c.root().get("value"));
      List<Object> range = new ArrayList<>();
      big.items(29_998L, 30_001L).forEach(e -> range.add(e.getKey()));
      assertThat(range).containsExactly(29_998L, 29_999L, 30_000L, 30_001L);
      c.database().close();
    }
  }

  @Test
  void randomInsertsAndDeletesMatchASortedMapAndStayValidAcrossCommits() {
    Random r = new Random(42);
    TreeMap<Long, Long> model = new TreeMap<>();
    try (Connection c = db.open()) {
      IOBTree t = new IOBTree();
      c.root().put("t", t);
      for (int round = 0; round < 8; round++) {
        for (int i = 0; i < 2000; i++) {
          long k = r.nextInt(5000) - 2500L;
          if (r.nextInt(3) == 0) {
            assertThat(t.remove(k)).isEqualTo(model.remove(k));
          } else {
            long v = r.nextLong();
            assertThat(t.put(k, v)).isEqualTo(model.put(k, v));
          }
        }
        c.commit();
        try (Connection other = db.open()) {
          IOBTree o = other.root().get("t", IOBTree.class);
          Map<Object, Object> got = new LinkedHashMap<>();
          o.items().forEach(e -> got.put(e.getKey(), e.getValue()));
          assertThat(got).containsExactlyEntriesOf(new LinkedHashMap<>(model));
          if (!model.isEmpty()) {
            assertThat(o.minKey()).isEqualTo(model.firstKey());
            assertThat(o.maxKey()).isEqualTo(model.lastKey());
          }
        }
      }
      for (Long k : new ArrayList<>(model.keySet())) {
        t.remove(k);
      }
      assertThat(t.isEmpty()).isTrue();
      c.commit();
      assertThat(stored(t).toHex()).endsWith("80034e2e"); // state None
    }
    assertThatThrownBy(() -> new IOBTree().put(1L << 40, 1L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1099511627776");
  }

  @Test
  void concurrentChangesToDifferentKeysOfABucketMergeAndTheSameKeyConflicts() throws Exception {
    db.runVoid(c -> {
      OOBTree t = new OOBTree();
      for (int i = 0; i < 10; i++) {
        t.put("k" + i, 0L);
      }
      c.root().put("t", t);
    });
    try (Connection a = db.open();
        Connection b = db.open()) {
      a.root().get("t", OOBTree.class).put("k1", 1L);
      b.root().get("t", OOBTree.class).put("k8", 8L);
      b.root().get("t", OOBTree.class).put("new", 9L);
      a.commit();
      b.commit(); // merged on the client (inline bucket of the tree record)
      a.newTransaction();
      OOBTree t = a.root().get("t", OOBTree.class);
      assertThat(t.get("k1")).isEqualTo(1L);
      assertThat(t.get("k8")).isEqualTo(8L);
      assertThat(t.get("new")).isEqualTo(9L);
      t.put("k2", 2L);
      b.root().get("t", OOBTree.class).put("k2", 3L);
      a.commit();
      assertThatThrownBy(b::commit).isInstanceOf(org.zbig.zodb.error.ConflictException.class);
    }
  }

  @Test
  void threadsIncrementingEntriesWithRetriesEndExact() throws Exception {
    // against a server in a process of its own, on RocksDB
    try (org.zbig.client.ServerProcess process =
            org.zbig.client.ServerProcess.start(dir.resolve("process-data"));
        Database db = open(process)) {
      incrementConcurrently(db, process);
    }
  }

  private Database open(org.zbig.client.ServerProcess process) {
    return Database.open(
        process.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)),
        32 << 20);
  }

  private void incrementConcurrently(Database db, org.zbig.client.ServerProcess process)
      throws Exception {
    db.runVoid(c -> {
      LOBTree t = new LOBTree();
      for (long k = 0; k < 200; k++) { // several buckets
        t.put(k, new Length(0));
      }
      OOBTree counts = new OOBTree();
      counts.put("a", 0L);
      counts.put("b", 0L);
      c.root().put("lengths", t);
      c.root().put("counts", counts);
    });
    int threads = 4;
    int each = 30;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int seed = i;
      Database mine = i % 2 == 0 ? db : open(process);
      fs.add(
          pool.submit(() -> {
            Random r = new Random(seed);
            for (int n = 0; n < each; n++) {
              long k = r.nextInt(200);
              String name = r.nextBoolean() ? "a" : "b";
              mine.run(
                  100,
                  c -> {
                    ((Length) c.root().get("lengths", LOBTree.class).get(k)).change(1);
                    OOBTree counts = c.root().get("counts", OOBTree.class);
                    counts.put(name, (Long) counts.get(name) + 1);
                    return null;
                  });
            }
            if (mine != db) {
              mine.close();
            }
            return null;
          }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    try (Connection c = db.open()) {
      c.sync(); // the other database's last commits come from the server
      long sum = 0;
      for (var e : c.root().get("lengths", LOBTree.class).items()) {
        sum += ((Length) e.getValue()).value();
      }
      OOBTree counts = c.root().get("counts", OOBTree.class);
      assertThat(sum).isEqualTo((long) threads * each);
      assertThat((Long) counts.get("a") + (Long) counts.get("b")).isEqualTo((long) threads * each);
    }
  }

  @Test
  void weReadTheTreesPythonWroteInARealDatabase() throws Exception {
    // fs/Data.fs, written by ZODB and wendelin.core: a ZBigArray whose ZBigFile's blktab (oid 3)
    // is an LOBTree of ZBlk objects (docs/formats.md §6.7)
    Path data = dir.resolve("imported");
    try (var storage = org.zbig.server.storage.KvStorage.rocks(data)) {
      org.zbig.server.storage.FileStorageImport.run(
          Path.of(BTreeTest.class.getResource("/fs/Data.fs").toURI()), storage);
    }
    ServerConfig m = ServerConfig.inMemory();
    try (ZeoServer imported =
            ZeoServer.start(
                new ServerConfig(
                    m.host(), 0, data, "1", m.offer(), false, 100, null, true, m.maxFrame()));
        Database pyDb =
            Database.open(
                imported.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
                1 << 20);
        Connection c = pyDb.open()) {
      assertThat(c.root().keySet()).containsExactlyInAnyOrder("array", "scratch");
      LOBTree blktab = c.get(new Oid(3), LOBTree.class);
      assertThat(blktab.keys()).containsExactly(0L, 1L, 2L);
      assertThat(blktab.get(0L)).isInstanceOf(org.zbig.client.bigfile.ZBlk0.class);
      assertThat(blktab.get(1L)).isInstanceOf(org.zbig.client.bigfile.ZBlk1.class);
      assertThat(((Persistent) blktab.get(2L)).oid()).isEqualTo(new Oid(10));
      // the ZBlk1's chunk table is an IOBTree Python wrote
      org.zbig.client.bigfile.ZBlk1 zblk1 = (org.zbig.client.bigfile.ZBlk1) blktab.get(1L);
      assertThat(zblk1.chunktab().oid()).isEqualTo(new Oid(6));
      IOBTree chunks = c.get(new Oid(6), IOBTree.class);
      assertThat(chunks.keys()).containsExactly(0L, 40960L, 409600L);
    }
  }

  /** Every record reachable from {@code oid}, written to {@code folder} by oid. */
  private void export(Connection c, Oid oid, Path folder, Set<Oid> seen) throws IOException {
    if (!seen.add(oid)) {
      return;
    }
    Bytes rec = db.zeo().loadCurrent(oid).orElseThrow().data();
    Files.write(folder.resolve(oid.toHex()), rec.toByteArray());
    Object state = DataRecord.decode(rec).state();
    List<Reference> refs = new ArrayList<>();
    collect(state, refs);
    for (Reference r : refs) {
      export(c, r.oid(), folder, seen);
    }
  }

  private static void collect(Object v, List<Reference> out) {
    switch (v) {
      case Reference r -> out.add(r);
      case org.zbig.zodb.pickle.Tuple t -> t.items().forEach(x -> collect(x, out));
      case List<?> l -> l.forEach(x -> collect(x, out));
      case Map<?, ?> m -> m.values().forEach(x -> collect(x, out));
      case null, default -> {}
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"LO", "IO", "OO"})
  void pythonsBTreesReadAndCheckTheTreesWeWrite(String family) throws Exception {
    boolean python =
        Files.isExecutable(Path.of("/usr/bin/python3"))
            && new ProcessBuilder("/usr/bin/python3", "-c", "import BTrees, zodbpickle")
                    .start()
                    .waitFor()
                == 0;
    if (System.getenv("CI") == null) {
      assumeTrue(python, "/usr/bin/python3 with BTrees and zodbpickle is not installed");
    }
    Random r = new Random(7);
    Map<Object, Object> expected = new TreeMap<>(org.zbig.zodb.btree.KeyOrder.PYTHON);
    Map<Object, Persistent> objects = new LinkedHashMap<>();
    Oid treeOid;
    try (Connection c = db.open()) {
      BTree t =
          switch (family) {
            case "LO" -> new LOBTree();
            case "IO" -> new IOBTree();
            default -> new OOBTree();
          };
      int n = family.equals("LO") ? 40_000 : 3_000;
      for (int i = 0; i < n; i++) {
        long k = r.nextInt(n * 5 / 2);
        switch (family) {
          case "LO" -> {
            t.put(k, k * 3);
            expected.put(k, k * 3);
          }
          case "IO" -> { // values: persistent mappings
            PersistentMapping m = new PersistentMapping();
            m.put("k", k);
            t.put(k, m);
            objects.put(k, m);
            expected.put(k, m);
          }
          default -> { // str keys, values: Length counters
            String key = "key-" + k;
            Length len = new Length(k);
            t.put(key, len);
            objects.put(key, len);
            expected.put(key, len);
          }
        }
      }
      for (int i = 0; i < n / 4; i++) {
        long k = r.nextInt(n * 5 / 2);
        Object key = family.equals("OO") ? "key-" + k : (Object) k;
        t.remove(key);
        expected.remove(key);
      }
      c.root().put("t", t);
      c.commit();
      treeOid = t.oid();
      Path folder = Files.createDirectories(dir.resolve("records"));
      export(c, treeOid, folder, new HashSet<>());
      List<List<Object>> items = new ArrayList<>();
      expected.forEach((k, v) -> {
        Object want =
            switch (v) {
              case Length len -> Map.of("oid", len.oid().toHex(), "length", len.value());
              case PersistentMapping m ->
                  Map.of("oid", m.oid().toHex(), "mapping", Map.of("k", m.get("k")));
              default -> v;
            };
        items.add(List.of(k, want));
      });
      Path json = dir.resolve("expected.json");
      new ObjectMapper().writeValue(json.toFile(), items);
      Path script = Path.of("src/test/python/check_btree.py").toAbsolutePath();
      Process p =
          new ProcessBuilder(
                  "/usr/bin/python3",
                  script.toString(),
                  folder.toString(),
                  treeOid.toHex(),
                  json.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(out).isZero();
      assertThat(out).contains("ok " + expected.size() + " items");
    }
    assertThat(objects).isNotNull();
  }
}
