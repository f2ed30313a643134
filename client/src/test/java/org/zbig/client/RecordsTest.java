package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zbig.client.btree.LOBTree;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.LoadSerial;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/** Records the client writes, compared with the ones Python wrote; and transaction hooks. */
class RecordsTest {
  private ZeoServer server;
  private Database db;

  @BeforeEach
  void start() throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory());
    db =
        Database.open(
            server.address(),
            ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
            1 << 20);
  }

  @AfterEach
  void stop() {
    db.close();
    server.close();
  }

  /** A stand-in for wendelin's ZBlk0: its state is the block's bytes. */
  static final class Blk extends Persistent {
    Bytes data = Bytes.EMPTY;

    Blk() {}

    @Override
    protected Object getState() {
      return data;
    }

    @Override
    protected void setState(Object state) {
      data = (Bytes) state;
    }

    @Override
    protected void clearState() {
      data = Bytes.EMPTY;
    }
  }

  @Test
  void aRootWithEveryCommonValueIsByteForBytePythons() throws Exception {
    db.registry().register("wendelin.bigfile.file_zodb.ZBlk0", Blk.class, Blk::new);
    try (Connection c = db.open()) {
      PersistentMapping root = c.root();
      root.put("a_mapping", new PersistentMapping());
      root.put("tree", new LOBTree());
      root.put("zblk", new Blk());
      root.put("int", 42L);
      root.put("neg", -5L);
      root.put("big", 1099511627776L);
      root.put("huge", new BigInteger("1180591620717411303424"));
      root.put("float", 1.5);
      root.put("str", "h\u00e9llo");
      root.put("bytes", Bytes.ofHex("00ff"));
      root.put("none", null);
      root.put("true", true);
      root.put("false", false);
      root.put("tuple", Tuple.of(1L, "a"));
      root.put("list", new ArrayList<>(List.of(1L, 2L)));
      Map<Object, Object> dict = new LinkedHashMap<>();
      dict.put("k", "v");
      root.put("dict", dict);
      root.put("empty_tuple", Tuple.of());
      root.put("list1", new ArrayList<>(List.of(7L)));
      Tid t = c.commit();
      assertThat(((Persistent) root.get("a_mapping")).oid()).isEqualTo(new Oid(1));
      Bytes stored = db.zeo().invoke(id -> new LoadSerial(id, Oid.ROOT, t));
      byte[] python =
          RecordsTest.class.getResourceAsStream("/records/root_entries.bin").readAllBytes();
      assertThat(stored.toHex()).isEqualTo(Bytes.wrap(python).toHex());
    }
  }

  @Test
  void synchronizersSeeTheCommitBeforeItIsCollectedAndItsOutcome() {
    List<String> events = new ArrayList<>();
    try (Connection c = db.open()) {
      Length len = new Length(0);
      c.root().put("n", len);
      c.commit();
      c.register(
          new Connection.Synchronizer() {
            @Override
            public void beforeCommit(Connection conn) {
              events.add("before");
              len.change(10); // a data manager writing its changes into persistent objects
            }

            @Override
            public void afterCompletion(Connection conn, boolean committed) {
              events.add(committed ? "committed" : "aborted");
            }
          });
      c.commit();
      c.abort();
      assertThat(events).containsExactly("before", "committed", "aborted");
      assertThat(len.value()).isEqualTo(10);
    }
    try (Connection other = db.open()) {
      assertThat(other.root().get("n", Length.class).value()).isEqualTo(10);
    }
  }
}
