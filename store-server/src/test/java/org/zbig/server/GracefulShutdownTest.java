package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/** SIGTERM: no new connections, the commit in progress finishes, then the process ends. */
class GracefulShutdownTest {
  private static final Pattern READY = Pattern.compile("ready on ([^:]+):(\\d+) ");

  @TempDir Path dir;

  private static Process start(Path data, InetSocketAddress[] address, List<String> lines)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data",
                data.toString(),
                "--shutdown-grace",
                "20")
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      Matcher m = READY.matcher(line);
      if (m.find()) {
        address[0] = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
        Thread.ofVirtual()
            .start(() -> {
              try {
                out.lines().forEach(lines::add);
              } catch (java.io.UncheckedIOException closed) {
                // the process was destroyed: its output is gone
              }
            });
        return p;
      }
    }
    throw new AssertionError(
        "the server exited before it was ready: " + p.waitFor(0, TimeUnit.SECONDS));
  }

  @Test
  void aCommitInProgressFinishesAndNothingNewIsAccepted() throws Exception {
    Path data = dir.resolve("data");
    InetSocketAddress[] address = new InetSocketAddress[1];
    List<String> lines = new CopyOnWriteArrayList<>();
    Process server = start(data, address, lines);
    Tid tid;
    try (TestClient c = new TestClient(address[0])) {
      c.call(new Register(c.id(), "1", false));
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.utf8("survives the shutdown"), 1));
      assertThat(c.call(new Vote(c.id(), 1))).isEqualTo(VoteResult.OK); // holds the commit lock
      server.toHandle().destroy(); // SIGTERM, keeping our end of its output open
      for (int i = 0; i < 200 && lines.stream().noneMatch(l -> l.contains("stopping")); i++) {
        Thread.sleep(20);
      }
      assertThat(lines).anyMatch(l -> l.contains("zbig-server stopping"));
      // no new connections
      boolean refused;
      try (Socket s = new Socket(address[0].getAddress(), address[0].getPort())) {
        refused = s.getInputStream().read() < 0;
      } catch (IOException e) {
        refused = true;
      }
      assertThat(refused).isTrue();
      assertThat(server.isAlive()).isTrue(); // waiting for our commit
      tid = c.call(new TpcFinish(c.id(), 1));
    }
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(lines).anyMatch(l -> l.contains("zbig-server stopped"));
    Process again = start(data, address, lines);
    try (TestClient c = new TestClient(address[0])) {
      c.call(new Register(c.id(), "1", false));
      assertThat(c.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .contains(new LoadResult(Bytes.utf8("survives the shutdown"), tid, null));
    } finally {
      again.destroy();
      assertThat(again.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
