package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.http.StatusServer;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/** The status endpoint: JSON for operators, Prometheus text for monitoring. */
class StatusServerTest {
  /** The body of {@code path} from the status endpoint at {@code a} (which must answer 200). */
  static String get(InetSocketAddress a, String path) throws Exception {
    var c =
        (java.net.HttpURLConnection)
            URI.create("http://127.0.0.1:" + a.getPort() + path).toURL().openConnection();
    assertThat(c.getResponseCode()).isEqualTo(200);
    try (var in = c.getInputStream()) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void statusAndMetricsShowStoragesConnectionsCommitsAndLockWaits() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        StatusServer status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server);
        TestClient a = new TestClient(server.address());
        TestClient b = new TestClient(server.address())) {
      a.call(new Register(a.id(), "1", false));
      b.call(new Register(b.id(), "1", false));
      b.send(new SetClientLabel("worker-b"));
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.utf8("x"), 1));
      a.call(new Vote(a.id(), 1)); // a holds the root's lock
      b.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      b.send(new StoreA(new Oid(1), Tid.Z64, Bytes.utf8("y"), 2));
      b.send(new RestoreA(Oid.ROOT, Tid.Z64, Bytes.utf8("z"), null, 2)); // no serial check
      Vote bv = new Vote(b.id(), 2);
      b.send(bv); // waits for the root's lock
      Thread.sleep(100);
      JsonNode during = new ObjectMapper().readTree(get(status.address(), "/status"));
      assertThat(during.at("/storages/1/waiting").asLong()).isEqualTo(1);
      assertThat(during.get("connections")).hasSize(2);
      assertThat(during.get("connections").toString())
          .contains("worker-b")
          .contains("\"requests-in-flight\":1");
      a.call(new TpcFinish(a.id(), 1));
      assertThat(((Reply) b.next()).msgid()).isEqualTo(bv.msgid());
      b.call(new TpcFinish(b.id(), 2));
      JsonNode after = new ObjectMapper().readTree(get(status.address(), "/status"));
      assertThat(after.at("/storages/1/commits").asLong()).isEqualTo(2);
      assertThat(after.at("/storages/1/lock-waits").asLong()).isEqualTo(1);
      assertThat(after.at("/storages/1/lock-wait-seconds").asDouble()).isPositive();
      assertThat(after.at("/storages/1/length").asLong()).isEqualTo(2);
      String metrics = get(status.address(), "/metrics");
      assertThat(metrics)
          .contains("zbig_commits_total{storage=\"1\"} 2.0")
          .contains("zbig_lock_waits_total{storage=\"1\"} 1.0")
          .contains("zbig_connections{storage=\"1\"} 2.0")
          .contains("zbig_objects{storage=\"1\"} 2.0");
    }
  }

  @Test
  void everyNamedStorageHasItsEntryAndItsMetrics() throws Exception {
    try (ZeoServer server =
            ZeoServer.start(
                ServerConfig.inMemory(),
                Limits.defaults(),
                null,
                java.util.List.of(new StorageSpec("archive", null, true)));
        StatusServer status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server);
        TestClient a = new TestClient(server.address())) {
      a.call(new Register(a.id(), "archive", true));
      JsonNode s = new ObjectMapper().readTree(get(status.address(), "/status"));
      assertThat(s.at("/storages/1/read-only").asBoolean()).isFalse();
      assertThat(s.at("/storages/archive/read-only").asBoolean()).isTrue();
      assertThat(s.at("/connections/0/storage").asText()).isEqualTo("archive");
      assertThat(get(status.address(), "/metrics"))
          .contains("zbig_connections{storage=\"archive\"} 1.0")
          .contains("zbig_connections{storage=\"1\"} 0.0");
    }
  }

  @Test
  void aRocksStorageSaysWhatItsMemtablesAndCacheHold(@TempDir Path dir) throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory().withData(dir));
        StatusServer status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server);
        TestClient a = new TestClient(server.address())) {
      a.call(new Register(a.id(), "1", false));
      long before =
          new ObjectMapper()
              .readTree(get(status.address(), "/status"))
              .at("/storages/1/memtable-bytes")
              .asLong(-1);
      a.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      a.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(new byte[2 << 20]), 1));
      a.call(new Vote(a.id(), 1));
      a.call(new TpcFinish(a.id(), 1));
      JsonNode after = new ObjectMapper().readTree(get(status.address(), "/status"));
      long memtables = after.at("/storages/1/memtable-bytes").asLong(-1);
      assertThat(before).as("an empty memtable").isBetween(0L, 1L << 20);
      assertThat(memtables).as("the 2 MiB record, until a flush").isGreaterThan(2L << 20);
      assertThat(after.at("/storages/1/block-cache-bytes").asLong(-1)).isNotNegative();
      assertThat(after.at("/storages/1/table-reader-bytes").asLong(-1)).isNotNegative();
      assertThat(after.at("/storages/1/space-reclaim").asText())
          .as("no pack yet")
          .isEqualTo("done");
      String metrics = get(status.address(), "/metrics");
      assertThat(metrics)
          .containsPattern("zbig_memtable_bytes\\{storage=\"1\"} [0-9.E]+")
          .contains("zbig_block_cache_bytes{storage=\"1\"}")
          .contains("zbig_table_reader_bytes{storage=\"1\"}");
    }
  }

  @Test
  void aStorageInMemoryHasNoMemtables() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        StatusServer status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server)) {
      JsonNode storage =
          new ObjectMapper().readTree(get(status.address(), "/status")).at("/storages/1");
      assertThat(storage.has("commits")).isTrue();
      assertThat(storage.has("memtable-bytes")).isFalse();
      assertThat(get(status.address(), "/metrics")).doesNotContain("zbig_memtable_bytes");
    }
  }
}
