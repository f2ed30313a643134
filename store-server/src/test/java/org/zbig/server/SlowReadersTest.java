package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.wire.Encoding;
import org.zbig.wire.Handshake;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.Register;
import org.zbig.wire.Role;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * Fifty clients ask a server process (RocksDB, the launcher's 512 MiB heap) for a 1 MiB record a
 * hundred times each and never read a reply: 5 GB of replies nobody takes. The server stops reading
 * from them (back-pressure), its resident size stays bounded (sampled from {@code /proc/PID/status}
 * while they wait), and another client is served promptly throughout.
 */
class SlowReadersTest {
  @TempDir Path dir;

  private static long rssKib(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmRSS for " + pid);
  }

  @Test
  void fiftyClientsThatNeverReadKeepTheServersMemoryBoundedAndOthersServed() throws Exception {
    List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
    ServerProcesses.Started s =
        ServerProcesses.start(log, List.of("-Xmx512m"), "--data", dir.resolve("data").toString());
    long pid = s.process().pid();
    List<Socket> slow = new ArrayList<>();
    try (TestClient c = new TestClient(s.address())) {
      c.call(new Register(c.id(), "1", false));
      byte[] mib = new byte[1 << 20];
      new java.util.Random(1).nextBytes(mib);
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(mib), 1));
      c.call(new Vote(c.id(), 1));
      c.call(new TpcFinish(c.id(), 1));
      for (int i = 0; i < 20; i++) { // warm: the big-record path in use once
        assertThat(c.call(LoadBefore.of(Oid.ROOT, Tid.MAX)).orElseThrow().data().length())
            .isEqualTo(1 << 20);
      }
      long before = rssKib(pid);

      for (int k = 0; k < 50; k++) {
        Socket sock = new Socket(s.address().getAddress(), s.address().getPort());
        slow.add(sock);
        Thread.ofPlatform()
            .daemon()
            .start(() -> {
              try {
                var in = new java.io.DataInputStream(sock.getInputStream());
                byte[] offer = new byte[in.readInt()];
                in.readFully(offer);
                Encoding e = Handshake.clientChooses(offer);
                DataOutputStream out = new DataOutputStream(sock.getOutputStream());
                MessageCodec codec = new MessageCodec(e, Role.CLIENT);
                List<byte[]> frames = new ArrayList<>();
                frames.add(Handshake.answer(e));
                frames.add(codec.encodeToArray(new Register(MsgId.of(1), "1", false)));
                for (int i = 0; i < 100; i++) {
                  frames.add(
                      codec.encodeToArray(new LoadBefore(MsgId.of(2 + i), Oid.ROOT, Tid.MAX)));
                }
                for (byte[] f : frames) { // blocks once the server stops reading: fine
                  out.writeInt(f.length);
                  out.write(f);
                }
                out.flush();
              } catch (java.io.IOException closed) {
                // closed at the end of the test
              }
            });
      }
      long peak = before;
      long worstLoadNanos = 0;
      long end = System.nanoTime() + 6_000_000_000L;
      while (System.nanoTime() < end) {
        long t0 = System.nanoTime();
        assertThat(c.call(LoadBefore.of(Oid.ROOT, Tid.MAX)).orElseThrow().data().length())
            .isEqualTo(1 << 20);
        worstLoadNanos = Math.max(worstLoadNanos, System.nanoTime() - t0);
        peak = Math.max(peak, rssKib(pid));
        Thread.sleep(50);
      }
      System.out.printf(
          "slow readers: server RSS %d MiB before, peak %d MiB with 50 clients not reading;"
              + " another client's 1 MiB load took at most %.1f ms%n",
          before >> 10, peak >> 10, worstLoadNanos / 1e6);
      assertThat(worstLoadNanos).as("another client's load, ns").isLessThan(2_000_000_000L);
      // per connection at most a reply or two in the server's buffers: far below 5 GB
      assertThat(peak - before).as("RSS growth, KiB").isLessThan(400L << 10);
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError("server output: " + String.join("\n", log), e);
    } finally {
      for (Socket sock : slow) {
        sock.close();
      }
      s.process().destroy();
      s.process().waitFor();
    }
  }
}
