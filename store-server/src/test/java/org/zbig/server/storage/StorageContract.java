package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zbig.server.TestRecords;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.MultipleUndoException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.UndoException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.storage.LoadResult;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/** The storage contract, run against every implementation (docs/protocol.md §5.3). */
abstract class StorageContract {
  protected Storage storage;

  protected abstract Storage open();

  @BeforeEach
  void setUp() {
    storage = open();
  }

  @AfterEach
  void tearDown() {
    storage.close();
  }

  static final TxnMeta META =
      new TxnMeta(Bytes.utf8("/ alice"), Bytes.utf8("first"), Map.of("k", "v"), " ");

  private Tid commit(long t, Write... writes) {
    Tid tid = new Tid(t);
    storage.commit(tid, META, List.of(writes));
    return tid;
  }

  private static Bytes data(String s) {
    return Bytes.utf8(s);
  }

  @Test
  void emptyStorage() {
    assertThat(storage.lastTransaction()).isEqualTo(Tid.Z64);
    assertThatThrownBy(() -> storage.loadBefore(Oid.ROOT, Tid.MAX))
        .isInstanceOf(NoSuchObjectException.class);
    assertThat(storage.objectCount()).isZero();
    assertThat(storage.currentSerial(Oid.ROOT)).isEmpty();
  }

  @Test
  void loadBeforeHasExactEndTids() {
    Oid o = new Oid(1);
    Tid t1 = commit(100, Write.data(o, data("a")));
    Tid t2 = commit(200, Write.data(o, data("b")));
    Tid t3 = commit(300, Write.data(o, data("c")));
    assertThat(storage.loadBefore(o, new Tid(100))).isEmpty();
    assertThat(storage.loadBefore(o, new Tid(101))).contains(new LoadResult(data("a"), t1, t2));
    assertThat(storage.loadBefore(o, t2)).contains(new LoadResult(data("a"), t1, t2));
    assertThat(storage.loadBefore(o, new Tid(250))).contains(new LoadResult(data("b"), t2, t3));
    assertThat(storage.loadBefore(o, Tid.MAX)).contains(new LoadResult(data("c"), t3, null));
    assertThat(storage.loadSerial(o, t2)).isEqualTo(data("b"));
    assertThat(storage.currentSerial(o)).contains(t3);
    assertThat(storage.lastTransaction()).isEqualTo(t3);
  }

  @Test
  void currentSerialsOfManyObjectsAreEachOnesInTheirOrder() {
    Oid a = new Oid(3);
    Oid b = new Oid(1);
    Oid gone = new Oid(2);
    Oid never = new Oid(9);
    Tid t1 = commit(100, Write.data(a, data("a")), Write.data(gone, data("g")));
    Tid t2 = commit(200, Write.data(b, data("b")), Write.deletion(gone));
    Tid t3 = commit(300, Write.data(a, data("a2")));
    var serials = storage.currentSerials(List.of(a, never, gone, b));
    assertThat(serials.keySet()).containsExactly(a, never, gone, b);
    assertThat(serials.get(a)).contains(t3);
    assertThat(serials.get(never)).isEmpty();
    assertThat(serials.get(gone)).contains(t2); // a deletion counts
    assertThat(serials.get(b)).contains(t2);
    for (Oid o : List.of(a, never, gone, b)) {
      assertThat(serials.get(o)).isEqualTo(storage.currentSerial(o));
    }
    assertThat(storage.currentSerials(List.of(b)))
        .containsExactly(java.util.Map.entry(b, Optional.of(t2)));
    assertThat(t1).isLessThan(t2);
  }

  @Test
  void deletionsAndBackPointers() {
    Oid o = new Oid(7);
    Tid t1 = commit(10, Write.data(o, data("x")));
    Tid t2 = commit(20, Write.deletion(o));
    assertThatThrownBy(() -> storage.loadBefore(o, Tid.MAX))
        .isInstanceOf(NoSuchObjectException.class);
    assertThat(storage.loadBefore(o, t2)).contains(new LoadResult(data("x"), t1, t2));
    Tid t3 = commit(30, Write.backPointer(o, t1));
    assertThat(storage.loadBefore(o, Tid.MAX)).contains(new LoadResult(data("x"), t3, null));
    assertThat(storage.records(t3)).containsExactly(new RecordInfo(o, t3, data("x"), t1));
    assertThat(storage.records(t2)).containsExactly(new RecordInfo(o, t2, null, null));
    assertThat(storage.currentSerial(o)).contains(t3);
  }

  @Test
  void commitsMustIncrease() {
    commit(50, Write.data(Oid.ROOT, data("r")));
    assertThatThrownBy(() -> commit(50, Write.data(Oid.ROOT, data("s"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: > last tid");
    assertThat(storage.loadBefore(Oid.ROOT, Tid.MAX).orElseThrow().data()).isEqualTo(data("r"));
  }

  @Test
  void historyNewestFirstWithTransactionMetadata() {
    Oid o = new Oid(3);
    commit(1000, Write.data(o, data("aa")));
    Tid t2 = commit(2000, Write.data(o, data("bbb")));
    List<Map<String, Object>> h = storage.history(o, 5);
    assertThat(h).hasSize(2);
    assertThat(h.getFirst())
        .containsEntry("size", 3L)
        .containsEntry("user_name", Bytes.utf8("/ alice"))
        .containsEntry("description", Bytes.utf8("first"))
        .containsEntry("k", "v")
        .containsEntry("tid", Bytes.wrap(t2.toBytes()));
    assertThat(storage.history(o, 1)).hasSize(1);
    assertThatThrownBy(() -> storage.history(new Oid(99), 1))
        .isInstanceOf(NoSuchObjectException.class);
  }

  @Test
  void newOidsAreFreshAndAboveStoredOnes() {
    List<Oid> a = storage.newOids(3);
    assertThat(a).containsExactly(new Oid(1), new Oid(2), new Oid(3));
    commit(5, Write.data(new Oid(50), data("z")));
    assertThat(storage.newOids(1)).containsExactly(new Oid(51));
  }

  @Test
  void transactionsAndRecordsIterateInOrder() {
    commit(10, Write.data(new Oid(1), data("a")), Write.data(new Oid(2), data("b")));
    commit(20, Write.data(new Oid(1), data("c")));
    commit(30, Write.data(new Oid(3), data("d")));
    List<Tid> tids = new ArrayList<>();
    for (TransactionInfo t : storage.transactions(null, null)) {
      tids.add(t.tid());
      assertThat(t.extension()).containsEntry("k", "v");
    }
    assertThat(tids).containsExactly(new Tid(10), new Tid(20), new Tid(30));
    List<Tid> middle = new ArrayList<>();
    storage.transactions(new Tid(15), new Tid(20)).forEach(t -> middle.add(t.tid()));
    assertThat(middle).containsExactly(new Tid(20));
    assertThat(storage.records(new Tid(10)))
        .extracting(RecordInfo::oid)
        .containsExactly(new Oid(1), new Oid(2));
  }

  @Test
  void currentRecordIteration() {
    commit(10, Write.data(new Oid(1), data("a")), Write.data(new Oid(2), data("b")));
    commit(20, Write.deletion(new Oid(2)), Write.data(new Oid(5), data("e")));
    var first = storage.recordAtOrAfter(null).orElseThrow();
    assertThat(first.oid()).isEqualTo(new Oid(1));
    assertThat(first.next()).isEqualTo(new Oid(2));
    var second = storage.recordAtOrAfter(first.next()).orElseThrow();
    assertThat(second.oid()).isEqualTo(new Oid(5));
    assertThat(second.next()).isNull();
  }

  @Test
  void countsObjectsAndBytes() {
    commit(10, Write.data(new Oid(1), data("abc")), Write.data(new Oid(2), data("de")));
    commit(20, Write.data(new Oid(1), data("f")));
    assertThat(storage.objectCount()).isEqualTo(2);
    assertThat(storage.size()).isEqualTo(6);
  }

  /** A persistent-mapping record referring to {@code refs}. */
  static Bytes mapping(String tag, Oid... refs) {
    return TestRecords.mapping(tag, refs);
  }

  @Test
  void undoRestoresThePreviousRevisionOrRemovesACreation() {
    Oid a = new Oid(1);
    Oid b = new Oid(2);
    Tid t1 = commit(10, Write.data(a, data("a1")));
    Tid t2 = commit(20, Write.data(a, data("a2")), Write.data(b, data("b1")));
    List<Write> undo = storage.undo(t2, Map.of());
    assertThat(undo).containsExactlyInAnyOrder(Write.backPointer(a, t1), Write.deletion(b));
    Tid t3 = commit(30, undo.toArray(Write[]::new));
    assertThat(storage.loadBefore(a, Tid.MAX).orElseThrow().data()).isEqualTo(data("a1"));
    assertThatThrownBy(() -> storage.loadBefore(b, Tid.MAX))
        .isInstanceOf(NoSuchObjectException.class);
    // the undo is itself undoable: undoing it brings t2's state back
    commit(40, storage.undo(t3, Map.of()).toArray(Write[]::new));
    assertThat(storage.loadBefore(a, Tid.MAX).orElseThrow().data()).isEqualTo(data("a2"));
    assertThat(storage.loadBefore(b, Tid.MAX).orElseThrow().data()).isEqualTo(data("b1"));
  }

  @Test
  void undoOfAnObjectChangedLaterFailsNamingTheObject() {
    Oid a = new Oid(1);
    commit(10, Write.data(a, data("a1")));
    Tid t2 = commit(20, Write.data(a, data("a2")));
    commit(30, Write.data(a, data("a3")));
    assertThatThrownBy(() -> storage.undo(t2, Map.of()))
        .isInstanceOfSatisfying(
            MultipleUndoException.class,
            e ->
                assertThat(e.failures())
                    .containsExactly(
                        new MultipleUndoException.Failure(
                            a, "Some data were modified by a later transaction")));
    // the same data written again later does not block it
    commit(40, Write.data(a, data("a2")));
    assertThat(storage.undo(t2, Map.of())).hasSize(1);
    assertThatThrownBy(() -> storage.undo(new Tid(25), Map.of()))
        .isInstanceOf(UndoException.class)
        .hasMessage("Invalid transaction id");
  }

  /** An OOBTree with one inline bucket of {@code items} (key, value, key, value, ...). */
  private static DataRecord oobtree(Object... items) {
    return new DataRecord(
        ClassMeta.of("BTrees.OOBTree.OOBTree"), Tuple.of(Tuple.of(Tuple.of(Tuple.of(items)))));
  }

  private static Bytes length(long n) {
    return Bytes.wrap(new DataRecord(ClassMeta.of("BTrees.Length.Length"), n).encode());
  }

  @Test
  void undoOfBTreesAndLengthsChangedLaterIsResolvedAsTheirClassesResolveConflicts()
      throws Exception {
    // a record Python's BTrees wrote: OOBTree {'a': 10, 'b': 10, 'c': 10}
    Bytes real =
        Bytes.wrap(Files.readAllBytes(Path.of("src/test/resources/vectors/oobtree_onebucket.bin")));
    assertThat(DataRecord.decode(real)).isEqualTo(oobtree("a", 10L, "b", 10L, "c", 10L));
    Oid tree = new Oid(1);
    Oid len = new Oid(2);
    commit(10, Write.data(tree, real), Write.data(len, length(3)));
    Tid t2 =
        commit(
            20,
            Write.data(tree, Bytes.wrap(oobtree("a", 10L, "b", 10L, "c", 10L, "d", 4L).encode())),
            Write.data(len, length(4)));
    Tid t3 =
        commit(
            30,
            Write.data(
                tree, Bytes.wrap(oobtree("a", 10L, "b", 10L, "c", 10L, "d", 4L, "e", 5L).encode())),
            Write.data(len, length(5)));
    // undoing t2 (which added 'd' and counted one) keeps t3's 'e' and count
    List<Write> undo = storage.undo(t2, Map.of());
    assertThat(undo).extracting(Write::oid).containsExactlyInAnyOrder(tree, len);
    Tid t4 = commit(40, undo.toArray(Write[]::new));
    Bytes merged = storage.loadBefore(tree, Tid.MAX).orElseThrow().data();
    assertThat(DataRecord.decode(merged)).isEqualTo(oobtree("a", 10L, "b", 10L, "c", 10L, "e", 5L));
    assertThat(DataRecord.decode(storage.loadBefore(len, Tid.MAX).orElseThrow().data()).state())
        .isEqualTo(4L);
    assertThat(pythonItems(merged)).isEqualTo("[('a', 10), ('b', 10), ('c', 10), ('e', 5)]");
    // a key changed later by both sides cannot be merged: the undo fails as before
    commit(
        50, Write.data(tree, Bytes.wrap(oobtree("a", 10L, "b", 10L, "c", 10L, "e", 6L).encode())));
    assertThatThrownBy(() -> storage.undo(t3, Map.of()))
        .isInstanceOfSatisfying(
            MultipleUndoException.class,
            e -> assertThat(e.failures()).extracting(f -> f.oid()).containsExactly(tree));
    assertThat(t4).isNotNull();
  }

  /**
   * The items of an OOBTree record as Python's BTrees read it. Without Python or its packages the
   * test is skipped outside CI; in CI it fails.
   */
  private static String pythonItems(Bytes record) throws Exception {
    String script =
        "import sys, io\n"
            + "from zodbpickle import pickle\n"
            + "import BTrees.OOBTree\n"
            + "data = bytes.fromhex(sys.argv[1])\n"
            + "u = pickle.Unpickler(io.BytesIO(data))\n"
            + "klass = u.load(); state = u.load()\n"
            + "t = BTrees.OOBTree.OOBTree(); t.__setstate__(state)\n"
            + "print(list(t.items()))\n";
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                script,
                java.util.HexFormat.of().formatHex(record.toByteArray()))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    boolean ok = p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
    if (!ok && System.getenv("CI") == null) {
      org.junit.jupiter.api.Assumptions.abort("python3 with zodbpickle and BTrees needed: " + out);
    }
    return out;
  }

  @Test
  void undoLogOrderIsNewestFirstWithSizes() {
    commit(10, Write.data(new Oid(1), data("abc")));
    commit(20, Write.data(new Oid(1), data("de")));
    List<Tid> order = new ArrayList<>();
    storage.transactionsNewestFirst().forEach(t -> order.add(t.tid()));
    assertThat(order).containsExactly(new Tid(20), new Tid(10));
    assertThat(storage.transactionSize(new Tid(10)))
        .isEqualTo(3 + META.user().length() + META.description().length());
  }

  @Test
  void packRemovesOldRevisionsAndUnreachableObjects() {
    Oid child = new Oid(1);
    Oid orphan = new Oid(2);
    Oid late = new Oid(3);
    commit(
        10, Write.data(Oid.ROOT, mapping("r1", child, orphan)), Write.data(child, mapping("c1")));
    commit(20, Write.data(orphan, mapping("o1")), Write.data(child, mapping("c2")));
    commit(30, Write.data(Oid.ROOT, mapping("r2", child)));
    Tid t4 = commit(40, Write.data(late, mapping("l1")), Write.data(child, mapping("c3")));
    commit(50, Write.data(Oid.ROOT, mapping("r3", child, late)));
    long sizeBefore = storage.size();

    PackResult r = storage.pack(new Tid(45), true);

    // root: r1 removed, r2 (current at 45) and r3 kept; child: c1 and c2 removed, c3 (current at
    // 45) kept; orphan: unreachable from r2, gone; late: referenced by r3, kept
    assertThat(r.objects()).isEqualTo(1);
    assertThat(r.revisions()).isEqualTo(4); // r1, c1, c2, o1
    assertThat(r.transactions()).isEqualTo(2); // 10 and 20
    assertThat(storage.loadBefore(Oid.ROOT, Tid.MAX).orElseThrow().data())
        .isEqualTo(mapping("r3", child, late));
    assertThat(storage.loadBefore(Oid.ROOT, new Tid(50)).orElseThrow().data())
        .isEqualTo(mapping("r2", child));
    assertThat(storage.loadBefore(child, Tid.MAX).orElseThrow().start()).isEqualTo(t4);
    assertThatThrownBy(() -> storage.loadSerial(child, new Tid(20)))
        .isInstanceOf(NoSuchObjectException.class);
    assertThatThrownBy(() -> storage.loadBefore(orphan, Tid.MAX))
        .isInstanceOf(NoSuchObjectException.class);
    assertThat(storage.loadBefore(late, Tid.MAX)).isPresent();
    assertThat(storage.objectCount()).isEqualTo(3);
    assertThat(storage.size()).isEqualTo(sizeBefore - r.bytes());
    // transactions left without records are gone, the rest of the region is marked packed
    List<String> statuses = new ArrayList<>();
    List<Tid> tids = new ArrayList<>();
    storage
        .transactions(null, null)
        .forEach(t -> {
          tids.add(t.tid());
          statuses.add(t.status());
        });
    assertThat(tids).containsExactly(new Tid(30), new Tid(40), new Tid(50));
    assertThat(statuses).containsExactly("p", "p", " ");
    assertThat(storage.packedUpTo()).isEqualTo(new Tid(45));
    assertThatThrownBy(() -> storage.undo(new Tid(40), Map.of()))
        .isInstanceOf(UndoException.class)
        .hasMessage("non-undoable transaction");
    // packing again to the same point does nothing
    assertThat(storage.pack(new Tid(45), true)).isEqualTo(PackResult.NOTHING);
  }

  @Test
  void packWithoutGcKeepsUnreachableObjectsAndReplacesBackPointersIntoRemovedRevisions() {
    Oid a = new Oid(1);
    Oid orphan = new Oid(2);
    commit(10, Write.data(Oid.ROOT, mapping("r")), Write.data(a, mapping("a1")));
    commit(20, Write.data(a, mapping("a2")), Write.data(orphan, mapping("o")));
    Tid t3 = commit(30, Write.backPointer(a, new Tid(10)));
    PackResult r = storage.pack(new Tid(25), false);
    assertThat(r.objects()).isZero();
    assertThat(storage.loadBefore(orphan, Tid.MAX)).isPresent();
    // a1 was not current at 25 and is removed; the back-pointer at 30 now holds the data
    assertThatThrownBy(() -> storage.loadSerial(a, new Tid(10)))
        .isInstanceOf(NoSuchObjectException.class);
    assertThat(storage.loadBefore(a, Tid.MAX).orElseThrow())
        .isEqualTo(new LoadResult(mapping("a1"), t3, null));
  }

  @Test
  void currentSerialAndObjectCountFollowCommitsAfterAReadAndAPack() {
    Oid a = new Oid(1);
    Oid orphan = new Oid(2);
    commit(10, Write.data(Oid.ROOT, mapping("r", a)), Write.data(a, mapping("a1")));
    Tid t2 = commit(20, Write.data(orphan, mapping("o")));
    // read first (a storage may keep what it read), then change
    assertThat(storage.currentSerial(a)).contains(new Tid(10));
    assertThat(storage.currentSerial(orphan)).contains(t2);
    assertThat(storage.objectCount()).isEqualTo(3);
    Tid t3 = commit(30, Write.data(a, mapping("a2")), Write.data(orphan, mapping("o2")));
    assertThat(storage.currentSerials(List.of(a, orphan)).values())
        .containsExactly(Optional.of(t3), Optional.of(t3));
    assertThat(storage.objectCount()).as("rewritten objects are not new").isEqualTo(3);
    Tid t4 = commit(40, Write.deletion(a));
    assertThat(storage.currentSerial(a)).contains(t4);
    assertThat(storage.currentSerial(orphan)).contains(t3);
    // the orphan is collected: it has no current serial any more, and a store to it is a new object
    commit(50, Write.data(Oid.ROOT, mapping("r2")));
    storage.pack(new Tid(55), true);
    assertThat(storage.currentSerial(orphan)).isEmpty();
    assertThatThrownBy(() -> storage.loadBefore(orphan, Tid.MAX))
        .isInstanceOf(NoSuchObjectException.class);
    long count = storage.objectCount();
    Tid t6 = commit(60, Write.data(orphan, mapping("again")));
    assertThat(storage.currentSerial(orphan)).contains(t6);
    assertThat(storage.objectCount()).isEqualTo(count + 1);
  }

  @Test
  void packKeepsObjectsThatACommitDuringThePackRefersTo() {
    // a commit after the pack point is a root of the mark phase
    Oid a = new Oid(1);
    commit(10, Write.data(Oid.ROOT, mapping("r")), Write.data(a, mapping("a")));
    commit(20, Write.data(new Oid(2), mapping("holder", a)));
    storage.pack(new Tid(15), true);
    assertThat(storage.loadBefore(a, Tid.MAX)).isPresent();
  }

  @Test
  void blobsAreKeptPerRevisionAndSharedByBackPointers() throws Exception {
    Oid o = new Oid(1);
    Path up = storage.newBlobFile();
    Files.write(up, new byte[] {1, 2, 3});
    Tid t1 = commit(10, Write.blob(o, mapping("blob"), up));
    assertThat(Files.exists(up)).isFalse();
    assertThat(Files.readAllBytes(storage.blobFile(o, t1))).containsExactly(1, 2, 3);
    Path up2 = storage.newBlobFile();
    Files.write(up2, new byte[] {4});
    commit(20, Write.blob(o, mapping("blob"), up2));
    Tid t3 = commit(30, storage.undo(new Tid(20), Map.of()).toArray(Write[]::new));
    assertThat(Files.readAllBytes(storage.blobFile(o, t3))).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> storage.blobFile(new Oid(9), t1))
        .isInstanceOf(NoSuchObjectException.class);
    // pack removes the revision at 10 but the undo revision keeps its blob
    commit(40, Write.data(Oid.ROOT, mapping("root", o)));
    storage.pack(new Tid(35), true);
    assertThat(Files.readAllBytes(storage.blobFile(o, t3))).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> storage.blobFile(o, new Tid(20)))
        .isInstanceOf(NoSuchObjectException.class);
  }
}
