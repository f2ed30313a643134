package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.pickle.Bytes;

/** Server restarts under connected databases, on a RocksDB data folder. */
class RestartTest {
  @TempDir Path dir;

  private ServerConfig config(int port) {
    ServerConfig m = ServerConfig.inMemory();
    return new ServerConfig(
        m.host(), port, dir.resolve("data"), "1", m.offer(), false, 100, null, true, m.maxFrame());
  }

  private static ClientOptions options(Duration reconnect) {
    return ClientOptions.builder()
        .timeouts(Duration.ofSeconds(10), Duration.ofSeconds(20))
        .reconnect(reconnect, reconnect.multipliedBy(2))
        .maxFrame(1 << 24)
        .build();
  }

  @Test
  void afterARestartNoStaleObjectIsServed() throws Exception {
    ZeoServer server = ZeoServer.start(config(0));
    int port = server.address().getPort();
    try (Database slow =
        Database.open(server.address(), options(Duration.ofMillis(1500)), 1 << 20)) {
      try (Connection c = slow.open()) {
        c.root().put("x", 1L);
        c.commit();
        assertThat(c.root().get("x")).isEqualTo(1L); // cached in the record cache too
        server.close();
        assertThat(slow.zeo().isConnected()).isFalse();
        server = ZeoServer.start(config(port));
        // another client changes x before the slow one is back
        try (Database other =
            Database.open(server.address(), options(Duration.ofMillis(100)), 1 << 20)) {
          other.runVoid(o -> o.root().put("x", 2L));
        }
        assertThat(slow.zeo().awaitConnected(10_000)).isTrue();
        c.sync();
        assertThat(c.root().get("x")).isEqualTo(2L);
        try (Connection fresh = slow.open()) {
          assertThat(fresh.root().get("x")).isEqualTo(2L);
        }
      }
    } finally {
      server.close();
    }
  }

  @Test
  void aDisconnectDuringCommitIsAClearErrorAndStoresNothing() throws Exception {
    ZeoServer server = ZeoServer.start(config(0));
    int port = server.address().getPort();
    try (Database db = Database.open(server.address(), options(Duration.ofMillis(100)), 1 << 20);
        ZeoClient holder =
            ZeoClient.open(
                server.address(), options(Duration.ofSeconds(5)), new DatabaseTest.Quiet())) {
      // another client holds the root's lock (a restore: no serial to check), so our vote,
      // which changes the root, waits at the server
      long txn = 7;
      holder.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      holder.send(new RestoreA(Oid.ROOT, Tid.Z64, Bytes.utf8("other"), null, txn));
      VoteResult held = holder.invoke(id -> new Vote(id, txn));
      assertThat(held).isEqualTo(VoteResult.OK);
      try (Connection c = db.open()) {
        c.root().put("y", "never stored");
        CompletableFuture<Tid> commit = CompletableFuture.supplyAsync(c::commit);
        Thread.sleep(300);
        assertThat(commit).isNotDone();
        server.close();
        assertThatThrownBy(commit::join).hasCauseInstanceOf(ClientDisconnectedException.class);
        // the change was dropped, and the connection can go on once the server is back
        server = ZeoServer.start(config(port));
        assertThat(db.zeo().awaitConnected(10_000)).isTrue();
        c.sync();
        assertThat(c.root().containsKey("y")).isFalse();
        c.root().put("y", "stored");
        assertThat(c.commit()).isNotNull();
      }
    } finally {
      server.close();
    }
  }
}
