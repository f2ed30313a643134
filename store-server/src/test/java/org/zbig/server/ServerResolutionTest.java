package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Register;
import org.zbig.wire.ResolvableConflict;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;

/**
 * Conflicts the server merges itself, as Python's ZEO server does for classes it can import: {@code
 * BTrees.Length} and B-tree buckets; the vote names them so that the client reloads them. Other
 * conflicts go back to the client as before.
 */
class ServerResolutionTest {
  private static Bytes length(long v) {
    return new DataRecord(ClassMeta.of("BTrees.Length.Length"), v).encodeBytes();
  }

  private static Bytes bucket(Object... items) {
    return new DataRecord(ClassMeta.of("BTrees.OOBTree.OOBucket"), Tuple.of(Tuple.of(items)))
        .encodeBytes();
  }

  private static Bytes mapping(String v) {
    return new DataRecord(ClassMeta.of("persistent.mapping.PersistentMapping"), Map.of("v", v))
        .encodeBytes();
  }

  private static long txn = 1;

  /** Stores and votes; finishes when the vote has no conflicts. */
  private static VoteResult store(TestClient c, Oid oid, Tid serial, Bytes data) {
    long t = txn++;
    c.send(new TpcBegin(t, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    c.send(new StoreA(oid, serial, data, t));
    VoteResult r = c.call(new Vote(c.id(), t));
    if (r.conflicts().isEmpty()) {
      c.call(new TpcFinish(c.id(), t));
    }
    return r;
  }

  private static Tid serial(TestClient c, Oid oid) {
    return c.call(LoadBefore.of(oid, Tid.MAX)).orElseThrow().start();
  }

  private static Bytes data(TestClient c, Oid oid) {
    return c.call(LoadBefore.of(oid, Tid.MAX)).orElseThrow().data();
  }

  @Test
  void lengthsAndBucketsAreMergedOnTheServerAndOtherConflictsGoToTheClient() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        TestClient a = new TestClient(server.address());
        TestClient b = new TestClient(server.address())) {
      a.call(new Register(a.id(), "1", false));
      b.call(new Register(b.id(), "1", false));
      Oid counter = new Oid(1);
      Oid items = new Oid(2);
      Oid other = new Oid(3);
      store(a, counter, Tid.Z64, length(10));
      store(a, items, Tid.Z64, bucket("a", 1L, "b", 2L));
      store(a, other, Tid.Z64, mapping("first"));
      Tid readCounter = serial(b, counter);
      Tid readItems = serial(b, items);
      Tid readOther = serial(b, other);

      // a commits first, from the same revisions b read
      store(a, counter, readCounter, length(11));
      store(a, items, readItems, bucket("a", 10L, "b", 2L));
      store(a, other, readOther, mapping("a's"));

      // b's counter: +5 on 10, merged with a's +1
      VoteResult r = store(b, counter, readCounter, length(15));
      assertThat(r.conflicts()).isEmpty();
      assertThat(r.changed()).containsExactly(counter);
      assertThat(data(b, counter)).isEqualTo(length(16));
      // b's bucket: another key, merged
      r = store(b, items, readItems, bucket("a", 1L, "b", 20L, "c", 3L));
      assertThat(r.changed()).containsExactly(items);
      assertThat(data(b, items)).isEqualTo(bucket("a", 10L, "b", 20L, "c", 3L));
      // the same key on both sides: the client's to report
      Tid itemsNow = serial(b, items);
      store(a, items, itemsNow, bucket("a", 100L, "b", 20L, "c", 3L));
      r = store(b, items, itemsNow, bucket("a", 200L, "b", 20L, "c", 3L));
      assertThat(r.changed()).isEmpty();
      assertThat(r.conflicts()).extracting(ResolvableConflict::oid).containsExactly(items);
      // a class the server cannot merge: the client's to resolve, as before
      try (TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        VoteResult o = store(c, other, readOther, mapping("c's"));
        assertThat(o.changed()).isEmpty();
        assertThat(o.conflicts()).extracting(ResolvableConflict::oid).containsExactly(other);
      }
      assertThat(server.status().get("1").get("conflicts-resolved")).isEqualTo(2L);
      // ZEO's client-conflict-resolution: the counter's conflict goes to the client
      server.clientConflictResolution(true);
      Tid counterNow = serial(a, counter);
      store(a, counter, counterNow, length(17));
      VoteResult toClient;
      try (TestClient d = new TestClient(server.address())) {
        d.call(new Register(d.id(), "1", false));
        toClient = store(d, counter, counterNow, length(20));
      }
      assertThat(toClient.changed()).isEmpty();
      assertThat(toClient.conflicts()).extracting(ResolvableConflict::oid).containsExactly(counter);
      assertThat(List.of(data(a, counter))).containsExactly(length(17)); // a's, not d's
    }
  }
}
