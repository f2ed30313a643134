package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/**
 * A real server answers the project's call for an object and what it refers to with the records one
 * {@code loadBefore} each would give, breadth first, each once, as deep as asked.
 */
class LoadBeforeTreeServerTest {
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

  /** A persistent-mapping record referring to {@code refs}, in that order. */
  private static Bytes refs(String tag, Oid... refs) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("tag", tag);
    for (Oid r : refs) {
      data.put("ref" + r.value(), new Reference.OidOnly(r));
    }
    return Bytes.wrap(
        new DataRecord(ClassMeta.of("persistent.mapping.PersistentMapping"), Map.of("data", data))
            .encode());
  }

  /** Commits {@code data[i]} to {@code oids[i]}, each over {@code serial}, in one transaction. */
  private static Tid commit(TestClient c, long txn, Tid serial, Map<Oid, Bytes> writes) {
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    writes.forEach((oid, data) -> c.send(new StoreA(oid, serial, data, txn)));
    assertThat(c.call(new Vote(c.id(), txn))).isEqualTo(VoteResult.OK);
    return c.call(new TpcFinish(c.id(), txn));
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
      writes.put(root, refs("root", a, missing, b));
      writes.put(a, refs("a", cc));
      writes.put(b, refs("b", a, raw, root)); // a and root seen already
      writes.put(cc, refs("c", d));
      writes.put(d, refs("d"));
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
      Tid t2 = commit(c, 2, t1, Map.of(a, refs("a2", e2)));
      commit(c, 3, Tid.Z64, Map.of(e2, refs("e")));
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
      writes.put(new Oid(1), refs("root", new Oid(2), new Oid(3), new Oid(4)));
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
