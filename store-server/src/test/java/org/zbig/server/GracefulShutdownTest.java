package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.*;

/** SIGTERM: no new connections, the commit in progress finishes, then the process ends. */
class GracefulShutdownTest {
  @TempDir Path dir;

  private static Process start(Path data, InetSocketAddress[] address, List<String> lines)
      throws IOException, InterruptedException {
    ServerProcesses.Started s =
        ServerProcesses.start(lines, "--data", data.toString(), "--shutdown-grace", "20");
    address[0] = s.address();
    return s.process();
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
