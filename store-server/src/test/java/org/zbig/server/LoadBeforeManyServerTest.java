package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.wire.Encoding;
import org.zbig.wire.GetInfo;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.wire.Register;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * A real server answers the project's calls for many loads as one loadBefore per oid would: for a
 * list of oids, and for an object and what it refers to (breadth first, each once, as deep as
 * asked).
 */
class LoadBeforeManyServerTest {
  private ZeoServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private TestClient connect(Encoding e) throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory().withOffer(e));
    TestClient c = new TestClient(server.address());
    assertThat(c.call(new Register(c.id(), "1", false))).isPresent();
    return c;
  }

  /** Commits data[i] over serials[i] to oids[i], in one transaction. */
  private static Tid commit(
      TestClient c, long txn, List<Oid> oids, List<Tid> serials, Bytes... data) {
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    for (int i = 0; i < oids.size(); i++) {
      c.send(new StoreA(oids.get(i), serials.get(i), data[i], txn));
    }
    assertThat(c.call(new Vote(c.id(), txn))).isEqualTo(VoteResult.OK);
    return c.call(new TpcFinish(c.id(), txn));
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void eachOidGetsWhatItsLoadBeforeGetsInOrder(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      assertThat(c.call(new GetInfo(c.id()))).containsEntry(LoadBeforeMany.INFO_KEY, true);
      Oid a = new Oid(1);
      Oid b = new Oid(2);
      Oid never = new Oid(77);
      Tid t1 = commit(c, 1, List.of(a), List.of(Tid.Z64), Bytes.utf8("a one"));
      Tid t2 = commit(c, 2, List.of(a), List.of(t1), Bytes.utf8("a two"));
      Tid t3 = commit(c, 3, List.of(b), List.of(Tid.Z64), Bytes.utf8("b one"));

      assertThat(c.call(new LoadBeforeMany(c.id(), List.of(b, never, a), Tid.MAX)))
          .containsExactly(
              Optional.of(new LoadResult(Bytes.utf8("b one"), t3, null)),
              Optional.empty(),
              Optional.of(new LoadResult(Bytes.utf8("a two"), t2, null)));
      // an older snapshot: a's first revision with its end; b did not exist yet
      assertThat(c.call(new LoadBeforeMany(c.id(), List.of(a, b), t2)))
          .containsExactly(
              Optional.of(new LoadResult(Bytes.utf8("a one"), t1, t2)), Optional.empty());
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aReplyStopsOnceItsRecordsReachTheLimitAndTheRestCanBeAskedFor(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      int size = (int) (LoadBeforeMany.REPLY_BYTES * 3 / 4);
      Bytes[] data = new Bytes[3];
      for (int i = 0; i < 3; i++) {
        byte[] d = new byte[size];
        Arrays.fill(d, (byte) (i + 1));
        data[i] = Bytes.wrap(d);
      }
      List<Oid> oids = List.of(new Oid(1), new Oid(2), new Oid(3));
      Tid t = commit(c, 1, oids, List.of(Tid.Z64, Tid.Z64, Tid.Z64), data);
      List<Optional<LoadResult>> first = c.call(new LoadBeforeMany(c.id(), oids, Tid.MAX));
      // 1.5 times the limit after the second record: the third is left for the next call
      assertThat(first)
          .containsExactly(
              Optional.of(new LoadResult(data[0], t, null)),
              Optional.of(new LoadResult(data[1], t, null)));
      assertThat(c.call(new LoadBeforeMany(c.id(), oids.subList(2, 3), Tid.MAX)))
          .containsExactly(Optional.of(new LoadResult(data[2], t, null)));
    }
  }

  /** Commits {@code writes}, each over {@code serial}, in one transaction. */
  private static Tid commit(TestClient c, long txn, Tid serial, Map<Oid, Bytes> writes) {
    List<Oid> oids = List.copyOf(writes.keySet());
    return commit(
        c,
        txn,
        oids,
        Collections.nCopies(oids.size(), serial),
        oids.stream().map(writes::get).toArray(Bytes[]::new));
  }

  /** The oids of a reply, in order, each checked against its own loadBefore. */
  private static List<Oid> oids(TestClient c, LoadBeforeTree r) {
    List<LoadBeforeTree.Found> found = c.call(r);
    for (LoadBeforeTree.Found f : found) {
      assertThat(c.call(new LoadBefore(c.id(), f.oid(), r.before()))).contains(f.result());
    }
    return found.stream().map(LoadBeforeTree.Found::oid).toList();
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void eachLevelAddsWhatTheOneBeforeRefersToEachObjectOnce(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      assertThat(c.call(new GetInfo(c.id()))).containsEntry(LoadBeforeTree.INFO_KEY, true);
      Oid root = new Oid(1);
      Oid a = new Oid(2);
      Oid b = new Oid(3);
      Oid cc = new Oid(4);
      Oid d = new Oid(5);
      Oid raw = new Oid(6);
      Oid missing = new Oid(77);
      Map<Oid, Bytes> writes = new LinkedHashMap<>();
      writes.put(root, TestRecords.mapping("root", a, missing, b));
      writes.put(a, TestRecords.mapping("a", cc));
      writes.put(b, TestRecords.mapping("b", a, raw, root)); // a and root seen already
      writes.put(cc, TestRecords.mapping("c", d));
      writes.put(d, TestRecords.mapping("d"));
      writes.put(raw, Bytes.utf8("not a pickle"));
      Tid t1 = commit(c, 1, Tid.Z64, writes);

      assertThat(oids(c, new LoadBeforeTree(c.id(), root, Tid.MAX, 0))).containsExactly(root);
      assertThat(oids(c, new LoadBeforeTree(c.id(), root, Tid.MAX, 1))).containsExactly(root, a, b);
      assertThat(oids(c, new LoadBeforeTree(c.id(), root, Tid.MAX, 2)))
          .containsExactly(root, a, b, cc, raw);
      assertThat(oids(c, new LoadBeforeTree(c.id(), root, Tid.MAX, 8)))
          .containsExactly(root, a, b, cc, raw, d);
      assertThat(oids(c, new LoadBeforeTree(c.id(), missing, Tid.MAX, 3))).isEmpty();

      // a now refers to e2 instead of c: the old snapshot still reaches c, and a with its end set
      Oid e2 = new Oid(8);
      Tid t2 = commit(c, 2, t1, Map.of(a, TestRecords.mapping("a2", e2)));
      commit(c, 3, Tid.Z64, Map.of(e2, TestRecords.mapping("e")));
      assertThat(oids(c, new LoadBeforeTree(c.id(), root, Tid.MAX, 2)))
          .containsExactly(root, a, b, e2, raw);
      LoadBeforeTree old = new LoadBeforeTree(c.id(), root, t2, 2);
      assertThat(oids(c, old)).containsExactly(root, a, b, cc, raw);
      assertThat(c.call(old).get(1).result().end()).isEqualTo(t2);
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aReplyStopsOnceItsRecordsReachTheLimit(Encoding e) throws Exception {
    try (TestClient c = connect(e)) {
      int size = (int) (LoadBeforeTree.REPLY_BYTES * 3 / 4);
      Map<Oid, Bytes> writes = new LinkedHashMap<>();
      writes.put(new Oid(1), TestRecords.mapping("root", new Oid(2), new Oid(3), new Oid(4)));
      for (int i = 2; i <= 4; i++) {
        byte[] d = new byte[size];
        Arrays.fill(d, (byte) i);
        writes.put(new Oid(i), Bytes.wrap(d));
      }
      commit(c, 1, Tid.Z64, writes);
      // 1.5 times the limit after the second big record: the third is left out
      assertThat(oids(c, new LoadBeforeTree(c.id(), new Oid(1), Tid.MAX, 1)))
          .containsExactly(new Oid(1), new Oid(2), new Oid(3));
      assertThat(LoadBeforeTree.REPLY_BYTES).isEqualTo(LoadBeforeMany.REPLY_BYTES);
    }
  }
}
