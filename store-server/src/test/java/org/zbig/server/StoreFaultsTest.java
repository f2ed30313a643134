package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.server.http.StatusServer;
import org.zbig.server.storage.FaultyStores;
import org.zbig.wire.InvalidateTransaction;
import org.zbig.wire.LastTransaction;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Register;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcAbort;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * Faults of the store under a RocksDB storage, injected ({@link FaultyStores}) while a real server
 * serves it over the wire: a commit whose write fails before reaching the store, or after the store
 * applied it (a failed sync), and reads that fail.
 */
class StoreFaultsTest {
  @TempDir Path dir;

  private static ServerConfig on(Path data) {
    return ServerConfig.inMemory().withData(data);
  }

  private static ZeoServer start(Path data, FaultyStores.Faults faults) throws Exception {
    return ZeoServer.start(
        on(data), Limits.defaults(), null, List.of(), FaultyStores.rocks(data, faults));
  }

  /** Commits {@code data} as the next revision of {@code oid} (its current serial read first). */
  private static Tid commit(TestClient c, long txn, Oid oid, Bytes data) {
    Tid serial;
    try {
      serial = load(c, oid).start();
    } catch (StorageException absent) {
      serial = Tid.Z64;
    }
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    c.send(new StoreA(oid, serial, data, txn));
    c.call(new Vote(c.id(), txn));
    return c.call(new TpcFinish(c.id(), txn));
  }

  private static LoadResult load(TestClient c, Oid oid) {
    return c.call(LoadBefore.of(oid, Tid.MAX)).orElseThrow();
  }

  private static long invalidations(TestClient c) {
    return c.calls.stream().filter(m -> m instanceof InvalidateTransaction).count();
  }

  @ParameterizedTest(name = "the store applied it first: {0}")
  @ValueSource(booleans = {false, true})
  void aCommitWhoseWriteFailsIsReportedStaysInvisibleAndARestartFindsItWholeOrAbsent(
      boolean afterApplying) throws Exception {
    Path data = dir.resolve("data");
    Oid x = new Oid(1);
    Oid y = new Oid(2);
    FaultyStores.Faults faults = new FaultyStores.Faults();
    Tid t1;
    try (ZeoServer server = start(data, faults);
        StatusServer status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server);
        TestClient a = new TestClient(server.address());
        TestClient b = new TestClient(server.address())) {
      a.call(new Register(a.id(), "1", false));
      b.call(new Register(b.id(), "1", false));
      t1 = commit(a, 1, x, Bytes.utf8("one"));
      assertThat(b.call(new LastTransaction(b.id()))).isEqualTo(t1);
      long seen = invalidations(b);
      assertThat(seen).isEqualTo(1);

      faults.failNextWrites(1, afterApplying);
      assertThatThrownBy(() -> commit(a, 2, x, Bytes.utf8("two")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(
              afterApplying ? "sync failed (injected)" : "write failed (injected)");
      try {
        a.call(new TpcAbort(a.id(), 2));
      } catch (RuntimeException ended) {
        // the server ended the failed transaction itself
      }
      // nothing of it shows: not to the committer, not to others, not as an invalidation
      assertThat(load(a, x).data()).isEqualTo(Bytes.utf8("one"));
      assertThat(load(b, x).start()).isEqualTo(t1);
      assertThat(b.call(new LastTransaction(b.id()))).isEqualTo(t1);
      assertThat(invalidations(b)).isEqualTo(seen);
      // the storage says why it refuses commits now, and refuses them (a later tid would make the
      // failed one visible, if the store holds it)
      JsonNode st = new ObjectMapper().readTree(StatusServerTest.get(status.address(), "/status"));
      assertThat(st.at("/storages/1/write-failure").asText()).contains("(injected)");
      assertThatThrownBy(() -> commit(b, 3, y, Bytes.utf8("three")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("restart the server");
      assertThat(b.call(new LastTransaction(b.id()))).isEqualTo(t1);
      assertThat(invalidations(a)).isZero();
      assertThat(load(b, x).data()).isEqualTo(Bytes.utf8("one")); // reads go on
    }
    // a restart: the failed commit is there whole (the store had applied all of it) or not at all
    try (ZeoServer server = ZeoServer.start(on(data));
        TestClient c = new TestClient(server.address())) {
      c.call(new Register(c.id(), "1", false));
      LoadResult now = load(c, x);
      Tid last = c.call(new LastTransaction(c.id()));
      if (afterApplying) {
        assertThat(now.data()).isEqualTo(Bytes.utf8("two"));
        assertThat(now.start()).isGreaterThan(t1).isEqualTo(last);
      } else {
        assertThat(now.data()).isEqualTo(Bytes.utf8("one"));
        assertThat(last).isEqualTo(t1);
      }
      assertThatThrownBy(() -> load(c, y)).isInstanceOf(StorageException.class);
      Tid t4 = commit(c, 4, x, Bytes.utf8("four"));
      assertThat(load(c, x).data()).isEqualTo(Bytes.utf8("four"));
      assertThat(load(c, x).start()).isEqualTo(t4);
    }
  }

  @Test
  void aReadThatFailsNamesTheObjectAndTheServerGoesOn() throws Exception {
    Path data = dir.resolve("data");
    Oid x = new Oid(1);
    Oid y = new Oid(2);
    FaultyStores.Faults faults = new FaultyStores.Faults();
    try (ZeoServer server = start(data, faults);
        TestClient c = new TestClient(server.address())) {
      c.call(new Register(c.id(), "1", false));
      commit(c, 1, x, Bytes.utf8("x"));
      Tid ty = commit(c, 2, y, Bytes.utf8("y"));
      faults.failReadsOf(java.nio.ByteBuffer.allocate(8).putLong(y.value()).array());
      assertThatThrownBy(() -> load(c, y))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("oid " + y.toHex())
          .hasMessageContaining("Input/output error (injected)");
      // the same connection goes on, other objects read
      assertThat(load(c, x).data()).isEqualTo(Bytes.utf8("x"));
      faults.failReadsOf(null);
      assertThat(load(c, y).data()).isEqualTo(Bytes.utf8("y"));
      assertThat(load(c, y).start()).isEqualTo(ty);
    }
  }
}
