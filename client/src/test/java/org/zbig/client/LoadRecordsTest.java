package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * {@link Database#loadRecordsAsync} gives every record as {@link Database#loadRecord} would, in one
 * call for many from this project's server, or one {@code loadBefore} each when told not to.
 */
class LoadRecordsTest {
  private ZeoServer server;

  @BeforeEach
  void start() throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static Tid commit(ZeoClient zeo, List<Oid> oids, List<Tid> serials, List<Bytes> data) {
    long txn = 1;
    zeo.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    for (int i = 0; i < oids.size(); i++) {
      zeo.send(new StoreA(oids.get(i), serials.get(i), data.get(i), txn));
    }
    zeo.invoke(id -> new Vote(id, txn));
    return zeo.invoke(id -> new TpcFinish(id, txn));
  }

  private static Bytes filled(int size, int value) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) value);
    return Bytes.wrap(b);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void everyRecordAsASingleLoadGivesItCachedOrNotMissingOrBig(boolean many) {
    try (Database db =
        Database.open(server.address(), ClientOptions.defaults().withLoadMany(many), 64 << 20)) {
      assertThat(db.zeo().loadsMany()).isEqualTo(many);
      // three records together bigger than one reply holds: the rest is asked for again
      int big = (int) (LoadBeforeMany.REPLY_BYTES * 3 / 4);
      List<Oid> oids = new ArrayList<>();
      List<Bytes> data = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        oids.add(new Oid(10 + i));
        data.add(i < 3 ? filled(big, i + 1) : Bytes.utf8("small " + i));
      }
      Tid t =
          commit(
              db.zeo(), oids, List.of(Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64), data);
      db.clearCache();
      assertThat(db.loadRecord(oids.get(4), t)).isEqualTo(new LoadResult(data.get(4), t, null));

      List<Oid> asked = new ArrayList<>(oids);
      asked.add(2, new Oid(999)); // never stored
      List<CompletableFuture<LoadResult>> got = db.loadRecordsAsync(asked, t);
      assertThat(got).hasSize(asked.size());
      for (int i = 0; i < asked.size(); i++) {
        if (i == 2) {
          CompletableFuture<LoadResult> missing = got.get(i);
          assertThatThrownBy(missing::join)
              .isInstanceOf(CompletionException.class)
              .hasCauseInstanceOf(NoSuchObjectException.class);
          continue;
        }
        int k = i < 2 ? i : i - 1;
        assertThat(got.get(i).join())
            .as("record %d", k)
            .isEqualTo(new LoadResult(data.get(k), t, null));
      }
      // the small records that came back are cached: asked again, the server sees no load
      long loads = serverLoads();
      List<CompletableFuture<LoadResult>> again = db.loadRecordsAsync(oids.subList(3, 6), t);
      for (int i = 0; i < 3; i++) {
        assertThat(again.get(i).join().data()).isEqualTo(data.get(3 + i));
      }
      assertThat(serverLoads()).isEqualTo(loads);
    }
  }

  private long serverLoads() {
    return ((Number) server.status().get("1").get("loads")).longValue();
  }
}
