package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.http.StatusServer;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;

/**
 * The data folder's file system fills up during commits (a small tmpfs; mounting it needs root, as
 * on our CI machines): the commit that cannot be written gets an error naming the cause, earlier
 * acknowledged commits are intact, reads go on, the status endpoint says writes are refused, and a
 * restart once there is room again recovers everything acknowledged and commits again.
 */
class DiskFullTest {
  @TempDir Path dir;

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  private static ServerConfig on(Path data) {
    return ServerConfig.inMemory().withData(data);
  }

  private static Tid commit(TestClient c, long txn, Oid oid, Bytes data) {
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    c.send(new StoreA(oid, Tid.Z64, data, txn));
    c.call(new Vote(c.id(), txn));
    return c.call(new TpcFinish(c.id(), txn));
  }

  @Test
  void aFullDiskFailsTheCommitClearlyKeepsWhatWasAcknowledgedAndARestartRecovers()
      throws Exception {
    Path mnt = Files.createDirectory(dir.resolve("tmpfs"));
    boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt.toString()) == 0;
    if (System.getenv("CI") != null) {
      assertThat(mounted).as("mount a small tmpfs in CI (CI runs as root)").isTrue();
    }
    Assumptions.assumeTrue(mounted, "cannot mount a small tmpfs here (needs root)");
    Path data = mnt.resolve("data");
    Random random = new Random(5);
    List<Bytes> acknowledged = new ArrayList<>();
    try {
      try (ZeoServer server = ZeoServer.start(on(data));
          StatusServer status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server);
          TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        StorageException full = null;
        long failedTxn = 0;
        for (int i = 1; i <= 40 && full == null; i++) {
          byte[] b = new byte[1 << 20];
          random.nextBytes(b);
          try {
            commit(c, i, new Oid(i), Bytes.wrap(b));
            acknowledged.add(Bytes.wrap(b));
          } catch (StorageException e) {
            full = e;
            failedTxn = i;
          }
        }
        assertThat(full).as("a commit failed when the disk filled").isNotNull();
        assertThat(full).hasMessageContaining("No space left on device");
        assertThat(acknowledged).isNotEmpty();
        // what was acknowledged is there, and reads go on
        for (int i = 0; i < acknowledged.size(); i++) {
          assertThat(c.call(LoadBefore.of(new Oid(i + 1), Tid.MAX)).orElseThrow().data())
              .isEqualTo(acknowledged.get(i));
        }
        JsonNode st =
            new ObjectMapper().readTree(StatusServerTest.get(status.address(), "/status"));
        assertThat(st.at("/storages/1/write-failure").asText()).contains("No space left");
        // room again: this server still refuses, and says what to do
        assertThat(run("mount", "-o", "remount,size=64m", mnt.toString())).isZero();
        try {
          c.call(new TpcAbort(c.id(), failedTxn)); // whatever the failed commit left
        } catch (RuntimeException alreadyGone) {
          // the server ended it with the failure
        }
        assertThatThrownBy(() -> commit(c, 1001, new Oid(99), Bytes.utf8("more")))
            .isInstanceOf(StorageException.class)
            .hasMessageContaining("restart the server");
      }
      // a restart recovers: every acknowledged commit, and commits go on
      try (ZeoServer server = ZeoServer.start(on(data));
          TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        for (int i = 0; i < acknowledged.size(); i++) {
          assertThat(c.call(LoadBefore.of(new Oid(i + 1), Tid.MAX)).orElseThrow().data())
              .isEqualTo(acknowledged.get(i));
        }
        commit(c, 2000, new Oid(99), Bytes.utf8("after"));
        assertThat(c.call(LoadBefore.of(new Oid(99), Tid.MAX)).orElseThrow().data())
            .isEqualTo(Bytes.utf8("after"));
      }
    } finally {
      run("umount", mnt.toString());
    }
  }
}
