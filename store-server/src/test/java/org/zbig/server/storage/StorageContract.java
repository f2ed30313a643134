package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zbig.wire.LoadResult;
import org.zbig.wire.RecordInfo;
import org.zbig.wire.TransactionInfo;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;

/** The storage contract, run against every implementation (protocol spec 5.3). */
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
}
