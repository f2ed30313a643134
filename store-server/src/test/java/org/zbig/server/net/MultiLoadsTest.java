package org.zbig.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.zbig.server.TestRecords;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.wire.MsgId;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/** The many-record loads against the in-memory storage, without a connection. */
class MultiLoadsTest {
  private static final TxnMeta META = new TxnMeta(Bytes.EMPTY, Bytes.EMPTY, Map.of(), " ");
  private static final MsgId ID = MsgId.of(1);
  private final KvStorage storage = KvStorage.inMemory();

  @AfterEach
  void close() {
    storage.close();
  }

  private static Oid oid(long n) {
    return new Oid(n);
  }

  private static List<Oid> oids(List<LoadBeforeTree.Found> found) {
    return found.stream().map(LoadBeforeTree.Found::oid).toList();
  }

  @Test
  void aTreeIsWalkedBreadthFirstOnceEachToItsDepthAndAtItsBound() {
    // 0 -> 1, 2; 1 -> 3, 0 (a cycle); 2 -> 3 (shared), 9 (never stored); 3 -> raw bytes
    storage.commit(
        new Tid(100),
        META,
        List.of(
            Write.data(oid(0), TestRecords.mapping("root", oid(1), oid(2))),
            Write.data(oid(1), TestRecords.mapping("a", oid(3), oid(0))),
            Write.data(oid(2), TestRecords.mapping("b", oid(3), oid(9))),
            Write.data(oid(3), Bytes.utf8("not a pickle"))));
    storage.commit(new Tid(200), META, List.of(Write.data(oid(2), TestRecords.mapping("b2"))));

    assertThat(oids(MultiLoads.tree(storage, new LoadBeforeTree(ID, oid(0), Tid.MAX, 0))))
        .containsExactly(oid(0));
    assertThat(oids(MultiLoads.tree(storage, new LoadBeforeTree(ID, oid(0), Tid.MAX, 1))))
        .containsExactly(oid(0), oid(1), oid(2));
    // the current revision of 2 refers to nothing
    assertThat(oids(MultiLoads.tree(storage, new LoadBeforeTree(ID, oid(0), Tid.MAX, 8))))
        .containsExactly(oid(0), oid(1), oid(2), oid(3));
    // before tid 200, 2's first revision: 3 once, 9 left out
    List<LoadBeforeTree.Found> old =
        MultiLoads.tree(storage, new LoadBeforeTree(ID, oid(0), new Tid(200), 8));
    assertThat(oids(old)).containsExactly(oid(0), oid(1), oid(2), oid(3));
    assertThat(old.get(2).result().start()).isEqualTo(new Tid(100));
    assertThat(old.get(2).result().end()).isEqualTo(new Tid(200));
    // nothing before the first transaction
    assertThat(MultiLoads.tree(storage, new LoadBeforeTree(ID, oid(0), new Tid(100), 8))).isEmpty();
  }

  @Test
  void manyAnswersEachOidInOrderAndStopsOnceTheReplyIsFull() {
    int big = (int) (LoadBeforeMany.REPLY_BYTES / 3) + 1; // the third big record fills a reply
    List<Write> writes = new ArrayList<>();
    for (long n = 1; n <= 5; n++) {
      writes.add(Write.data(oid(n), Bytes.wrap(new byte[big])));
    }
    writes.add(Write.data(oid(100), Bytes.utf8("small")));
    storage.commit(new Tid(100), META, writes);

    List<Optional<LoadResult>> small =
        MultiLoads.many(storage, new LoadBeforeMany(ID, List.of(oid(100), oid(7)), Tid.MAX));
    assertThat(small).hasSize(2);
    assertThat(small.get(0).orElseThrow().data()).isEqualTo(Bytes.utf8("small"));
    assertThat(small.get(1)).isEmpty(); // never stored: none, not an error

    List<Optional<LoadResult>> cut =
        MultiLoads.many(
            storage,
            new LoadBeforeMany(
                ID, List.of(oid(100), oid(7), oid(1), oid(2), oid(3), oid(4), oid(5)), Tid.MAX));
    assertThat(cut).hasSize(5); // up to and with the record that reached the reply's size
    assertThat(cut.get(4).orElseThrow().data().length()).isEqualTo(big);
  }
}
