package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.cli.Main;
import org.zbig.wire.Register;

/** {@code serve --config FILE}: every setting in YAML, flags win, bad keys and values stop it. */
class ConfigFileTest {
  @TempDir Path dir;

  static Process serve(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("serve");
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** The first line with {@code marker}, or all the output if the process ends first. */
  static String lineWith(Process p, String marker) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder all = new StringBuilder();
    for (String line; (line = out.readLine()) != null; ) {
      all.append(line).append('\n');
      if (line.contains(marker)) {
        return line;
      }
    }
    return all.toString();
  }

  @Test
  void settingsComeFromTheFileAndFlagsWin() throws Exception {
    Path yaml = dir.resolve("zbig.yaml");
    Files.writeString(
        yaml,
        "listen: 127.0.0.1:0\n"
            + "data: "
            + dir.resolve("from-file")
            + "\n"
            + "storage: main\n"
            + "max-connections: 1\n"
            + "msgpack: true\n"
            + "transaction-timeout: 30\n");
    Process p = serve("--config", yaml.toString(), "--data", dir.resolve("from-flag").toString());
    try {
      String ready = lineWith(p, "ready on");
      assertThat(ready).contains("serving storage 'main'").contains("from-flag");
      int port = Integer.parseInt(ready.replaceAll(".*ready on [^:]+:(\\d+) .*", "$1"));
      try (TestClient c = new TestClient(new java.net.InetSocketAddress("127.0.0.1", port))) {
        assertThat(c.codec.encoding()).isEqualTo(org.zbig.wire.Encoding.MSGPACK);
        assertThat(c.call(new Register(c.id(), "main", false))).isPresent();
        try (TestClient second =
            new TestClient(new java.net.InetSocketAddress("127.0.0.1", port))) {
          assertThat(second.closedByServer()).isTrue(); // max-connections: 1
        } catch (java.io.UncheckedIOException refused) {
          // closed during the handshake
        }
      }
    } finally {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUnknownKeyOrABadValueStopsTheServerNamingTheKey() throws Exception {
    assertThat(refused("unknown", "max-conections: 5", "unknown key"))
        .contains("unknown key 'max-conections'")
        .contains("max-connections");
    assertThat(refused("bad", "max-connections: lots", "max-connections"))
        .contains("max-connections: \"lots\" (expected: an integer)");
    assertThat(refused("gather", "commit-gather: -5", "--commit-gather"))
        .contains("--commit-gather: -5 (expected: 0 to 1000000 microseconds)");
  }

  /** The line with {@code word} a server started with {@code setting} prints before it exits. */
  private String refused(String name, String setting, String word) throws Exception {
    Path yaml = Files.writeString(dir.resolve(name + ".yaml"), "listen: 127.0.0.1:0\n" + setting);
    Process p = serve("--config", yaml.toString(), "--data", dir.resolve(name).toString());
    String out = lineWith(p, word);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isNotZero();
    return out;
  }

  @Test
  void dedupFromTheFileKeepsSmallChangesToBigRecordsSmallAndTheStatusSaysSo() throws Exception {
    int statusPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      statusPort = free.getLocalPort();
    }
    Path yaml =
        Files.writeString(
            dir.resolve("dedup.yaml"),
            "listen: 127.0.0.1:0\ndedup: on\nstatus: 127.0.0.1:" + statusPort + "\n");
    Process p = serve("--config", yaml.toString(), "--data", dir.resolve("d").toString());
    try {
      String ready = lineWith(p, "ready on");
      int port = Integer.parseInt(ready.replaceAll(".*ready on [^:]+:(\\d+) .*", "$1"));
      byte[] block = new byte[1 << 20];
      new java.util.Random(5).nextBytes(block);
      try (TestClient c = new TestClient(new java.net.InetSocketAddress("127.0.0.1", port))) {
        c.call(new Register(c.id(), "1", false));
        org.zbig.zodb.Tid serial = org.zbig.zodb.Tid.Z64;
        for (int t = 1; t <= 4; t++) {
          block[t] ^= 1;
          c.send(
              new org.zbig.wire.TpcBegin(
                  t,
                  org.zbig.zodb.pickle.Bytes.EMPTY,
                  org.zbig.zodb.pickle.Bytes.EMPTY,
                  java.util.Map.of(),
                  null,
                  " "));
          c.send(
              new org.zbig.wire.StoreA(
                  new org.zbig.zodb.Oid(1),
                  serial,
                  org.zbig.zodb.pickle.Bytes.wrap(block.clone()),
                  t));
          c.call(new org.zbig.wire.Vote(c.id(), t));
          serial = c.call(new org.zbig.wire.TpcFinish(c.id(), t));
        }
      }
      String json;
      try (var in =
          java.net.URI.create("http://127.0.0.1:" + statusPort + "/status").toURL().openStream()) {
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
      var storage = node.findValue("stored-bytes");
      assertThat(storage).as(json).isNotNull();
      assertThat(node.findValue("logical-bytes").asLong()).isEqualTo(4L << 20);
      assertThat(storage.asLong()).as(json).isLessThan((1 << 20) + 4L * 20_000);
    } finally {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
    // a bad value names the option and what it takes
    Process bad =
        serve("--dedup", "maybe", "--listen", "127.0.0.1:0", "--data", dir.resolve("e").toString());
    String out = lineWith(bad, "--dedup");
    assertThat(bad.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(bad.exitValue()).isNotZero();
    assertThat(out).contains("--dedup: 'maybe' (expected: on or off)");
    // a status address without a port: refused before the server starts
    Process noPort =
        serve(
            "--status",
            "localhost",
            "--listen",
            "127.0.0.1:0",
            "--data",
            dir.resolve("f").toString());
    out = lineWith(noPort, "--status");
    assertThat(noPort.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(noPort.exitValue()).isNotZero();
    assertThat(out)
        .contains("--status: 'localhost' (expected: HOST:PORT with a port from 0 to 65535)")
        .doesNotContain("ready on");
  }
}
