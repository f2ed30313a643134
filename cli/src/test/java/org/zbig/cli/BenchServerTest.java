package org.zbig.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.server.storage.KvStorage;

/** {@code bin/zbig bench server} against a real server: every mix, its JSON, and bad options. */
class BenchServerTest {
  static ZeoServer server;
  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int status = Main.run(args);
      return new String[] {
        String.valueOf(status),
        o.toString(StandardCharsets.UTF_8),
        e.toString(StandardCharsets.UTF_8)
      };
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  /** {@code bench server} of {@code mix} against {@code servers}: 2 connections, 0.6 s. */
  private static String[] mix(String servers, String mix, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--server",
                servers,
                "bench",
                "server",
                "--connections",
                "2",
                "--duration",
                "0.6",
                "--mix",
                mix));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  private String address() {
    return "127.0.0.1:" + server.address().getPort();
  }

  @Test
  void connectionsWithANetworkThreadEachMeasureToo() {
    String[] r =
        run(
            "--server",
            address(),
            "bench",
            "server",
            "--connections",
            "3",
            "--duration",
            "0.5",
            "--network-threads",
            "0");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains("read against " + address() + ", 3 connections").contains("loads/s");
  }

  /**
   * The big mix's records differ from one another, in every 4 KiB: a server with dedup on must
   * store each whole, or the mix measures the storing of chunk names only.
   */
  @Test
  void bigRecordsAreDistinctChunkByChunk() throws Exception {
    KvStorage storage = KvStorage.inMemory().dedup(true);
    try (ZeoServer s =
        ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), storage)) {
      String[] r = mix("127.0.0.1:" + s.address().getPort(), "big");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      KvStorage.DedupStats stats = storage.dedupStats();
      assertThat(stats.logical()).as("records stored").isGreaterThanOrEqualTo(4L << 20);
      // each record's chunks are its own: stored whole, plus their names
      assertThat((double) stats.stored() / stats.logical()).isGreaterThan(0.99);
    }
  }

  /**
   * The raw commit mix's commits are real, durable commits, each one counted: the server counts as
   * many as the mix reports, with invalidations going out to the other connection all along.
   */
  @Test
  void rawCommitsAreCommitsOfTheServer() throws Exception {
    try (ZeoServer s = ZeoServer.start(ServerConfig.inMemory())) {
      String address = "127.0.0.1:" + s.address().getPort();
      String[] r = mix(address, "raw-commit", "--json", dir.resolve("c.json").toString());
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      long reported =
          new ObjectMapper().readTree(dir.resolve("c.json").toFile()).get("operations").asLong();
      Map<String, Object> counters = s.status().values().iterator().next();
      assertThat(reported).isGreaterThan(10);
      assertThat(counters.get("commits")).isEqualTo(reported);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"read", "raw-read", "commit", "raw-commit", "big", "raw-big"})
  void everyMixMeasuresAndWritesItsJson(String mix) throws Exception {
    Path json = dir.resolve(mix + ".json");
    // the commit mix spreads its connections over a list of (here: the same) servers
    String servers = mix.endsWith("commit") ? address() + "," + address() : address();
    String[] r = mix(servers, mix, "--json", json.toString());
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains(mix + " against " + address()).contains("latency p50");
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertThat(j.get("mix").asText()).isEqualTo(mix);
    assertThat(j.get("connections").asInt()).isEqualTo(2);
    assertThat(j.get("operations").asLong()).isPositive();
    assertThat(j.get("p50_ms").asDouble()).isPositive();
    assertThat(j.get("p99_ms").asDouble()).isGreaterThanOrEqualTo(j.get("p50_ms").asDouble());
    switch (mix) {
      case "read", "raw-read" -> assertThat(j.get("loads_per_s").asDouble()).isPositive();
      case "commit", "raw-commit" -> assertThat(j.get("txn_per_s").asDouble()).isPositive();
      default -> {
        assertThat(j.get("store_MBps").asDouble()).isPositive();
        assertThat(j.get("load_MBps").asDouble()).isPositive();
      }
    }
  }

  @Test
  void badOptionsAreNamed() {
    assertThat(run("--server", "nohostport", "bench", "server")[2])
        .contains(
            "--server: 'nohostport' (expected: HOST:PORT[,HOST:PORT...], each HOST:PORT with a port from 0 to 65535)");
    assertThat(run("--server", address() + ",x:y", "bench", "server")[2])
        .contains(
            "--server: 'x:y' in '"
                + address()
                + ",x:y' (expected: HOST:PORT[,HOST:PORT...], each HOST:PORT with a port from 0 to 65535)");
    assertThat(run("--server", address(), "bench", "server", "--mix", "write")[2])
        .contains("--mix: 'write' (expected: read, raw-read, commit, raw-commit, big or raw-big)");
    assertThat(run("--server", address(), "bench", "server", "--connections", "0")[2])
        .contains("--connections: 0 (expected: 1 to 1024)");
    assertThat(run("--server", address(), "bench", "server", "--network-threads", "-1")[2])
        .contains("--network-threads: -1 (expected: 0 to 1024)");
  }
}
