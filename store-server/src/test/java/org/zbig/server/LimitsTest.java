package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;

/**
 * The per-client limits: connections, frame size, transaction size, requests in flight, and
 * back-pressure.
 */
class LimitsTest {
  @Test
  void connectionsBeyondTheLimitAreRefused() throws Exception {
    try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), new Limits(2, 1 << 20, 1 << 20));
        TestClient a = new TestClient(server.address())) {
      TestClient b = new TestClient(server.address());
      a.call(new Register(a.id(), "1", false));
      b.call(new Register(b.id(), "1", false));
      try (TestClient c = new TestClient(server.address())) {
        assertThat(c.closedByServer()).isTrue();
      } catch (java.io.UncheckedIOException refusedDuringHandshake) {
        // closed before the handshake: also a refusal
      }
      b.close();
      Thread.sleep(200);
      try (TestClient d = new TestClient(server.address())) {
        assertThat(d.call(new Register(d.id(), "1", false))).isPresent();
      }
    }
  }

  private static long openFds() throws java.io.IOException {
    try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  @Test
  void connectionsThatNeverRegisterAreClosedAndAFloodLeavesNothingBehind() throws Exception {
    Limits limits = new Limits(3, 1 << 20, 1 << 20, 100, java.time.Duration.ofSeconds(5));
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), limits)) {
      long fdsBefore = openFds();
      // three half-open connections take every slot: connected, never a word. Each waits for the
      // server's offer, which says the server counted it: otherwise a flood connection could be
      // counted first, take a slot and keep the loop below waiting for its 5 s
      List<java.net.Socket> silent = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        java.net.Socket s = new java.net.Socket("127.0.0.1", server.address().getPort());
        s.setSoTimeout(10_000);
        var offer = new java.io.DataInputStream(s.getInputStream());
        offer.readFully(new byte[offer.readInt()]);
        silent.add(s);
      }
      // a flood beyond the limit, while they hold the slots: each refused as it arrives
      long flood = System.nanoTime();
      for (int i = 0; i < 100; i++) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.address().getPort())) {
          s.setSoTimeout(10_000);
          var in = s.getInputStream();
          while (in.read() >= 0) {
            // the server's offer, if any, then its close
          }
        } catch (java.io.IOException reset) {
          // refused by a reset: also a refusal
        }
      }
      assertThat((System.nanoTime() - flood) / 1_000_000)
          .as("100 refusals, ms (the silent connections hold the slots for 5 s)")
          .isLessThan(4_000);
      // the silent ones are closed once their time to register is over
      long t0 = System.nanoTime();
      for (java.net.Socket s : silent) {
        var in = s.getInputStream();
        try {
          while (in.read() >= 0) {
            // the offer, then the close
          }
        } catch (java.net.SocketTimeoutException e) {
          throw new AssertionError("a connection that never registered is still open", e);
        } catch (java.io.IOException reset) {
          // closed by a reset
        }
        s.close();
      }
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(8_000);
      // and a client that speaks gets in
      try (TestClient c = new TestClient(server.address())) {
        assertThat(c.call(new Register(c.id(), "1", false))).isPresent();
        Thread.sleep(1000); // registered: the timeout does not close it
        assertThat(c.call(new LastTransaction(c.id()))).isNotNull();
      }
      Thread.sleep(300);
      assertThat(openFds()).as("open files after the flood").isLessThan(fdsBefore + 10);
    }
  }

  @Test
  void aTransactionOverTheByteLimitDisconnectsItsClientAndStoresNothing() throws Exception {
    try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), new Limits(10, 1000, 1 << 20));
        TestClient big = new TestClient(server.address());
        TestClient other = new TestClient(server.address())) {
      big.call(new Register(big.id(), "1", false));
      other.call(new Register(other.id(), "1", false));
      big.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      big.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(new byte[600]), 1));
      big.send(new StoreA(new Oid(1), Tid.Z64, Bytes.wrap(new byte[600]), 1));
      assertThat(big.closedByServer()).isTrue();
      assertThatThrownBy(() -> other.call(LoadBefore.of(Oid.ROOT, Tid.MAX)))
          .isInstanceOf(NoSuchObjectException.class);
      other.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      other.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(new byte[900]), 2));
      assertThat(other.call(new Vote(other.id(), 2))).isEqualTo(VoteResult.OK);
      assertThat(other.call(new TpcFinish(other.id(), 2))).isNotNull();
    }
  }

  @Test
  void aClientThatDoesNotReadItsRepliesIsNotReadFrom() throws Exception {
    try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), new Limits(10, 1L << 30, 64 << 10));
        TestClient writer = new TestClient(server.address());
        TestClient slow = new TestClient(server.address())) {
      writer.call(new Register(writer.id(), "1", false));
      slow.call(new Register(slow.id(), "1", false));
      writer.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      writer.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(new byte[1 << 20]), 1));
      writer.call(new Vote(writer.id(), 1));
      writer.call(new TpcFinish(writer.id(), 1));
      // 300 requests for 1 MiB each, replies unread: without back-pressure 300 MiB would queue
      int n = 300;
      CompletableFuture<Void> sending =
          CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
              slow.send(new LoadBefore(MsgId.of(1000 + i), Oid.ROOT, Tid.MAX));
            }
          });
      long paused = 0;
      for (int i = 0; i < 200 && paused == 0; i++) {
        Thread.sleep(20);
        paused = (Long) server.status().get("1").get("paused");
      }
      assertThat(paused).isEqualTo(1);
      int got = 0;
      while (got < n) {
        Message m = slow.next();
        if (m instanceof Reply) {
          got++;
        }
      }
      sending.get(30, TimeUnit.SECONDS);
      // the server resumes reading once the replies drained (the event comes asynchronously)
      long still = 1;
      for (int i = 0; i < 250 && still != 0; i++) {
        Thread.sleep(20);
        still = (Long) server.status().get("1").get("paused");
      }
      assertThat(still).isZero();
    }
  }

  @Test
  void requestsBeyondTheInFlightLimitGetAnErrorAndTheConnectionStays() throws Exception {
    try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), new Limits(10, 1L << 30, 1 << 20, 3));
        TestClient a = new TestClient(server.address());
        TestClient other = new TestClient(server.address())) {
      a.call(new Register(a.id(), "1", false));
      other.call(new Register(other.id(), "1", false));
      // open iterators are owed replies: three fit, the fourth is refused with the limit named
      java.util.List<Long> open = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        open.add(a.call(new IteratorStart(a.id(), null, null)));
      }
      assertThatThrownBy(() -> a.call(new IteratorStart(a.id(), null, null)))
          .isInstanceOf(org.zbig.zodb.error.StorageException.class)
          .hasMessageContaining("3 requests in flight")
          .hasMessageContaining("expected: < 3");
      // the connection stays, and other clients are served
      assertThat(a.call(new Ping(a.id()))).isNull();
      assertThat(other.call(new IteratorStart(other.id(), null, null))).isNotNull();
      // releasing one lets the next in
      a.send(new IteratorGc(java.util.List.of(open.getFirst())));
      assertThat(a.call(new IteratorStart(a.id(), null, null))).isNotNull();
    }
  }

  @Test
  void aFrameOverTheLimitDisconnectsItsClientAndOthersGoOn() throws Exception {
    ServerConfig small = ServerConfig.inMemory().withMaxFrame(4096);
    try (ZeoServer server = ZeoServer.start(small);
        TestClient big = new TestClient(server.address());
        TestClient other = new TestClient(server.address())) {
      big.call(new Register(big.id(), "1", false));
      other.call(new Register(other.id(), "1", false));
      big.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      big.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(new byte[10_000]), 1));
      assertThat(big.closedByServer()).isTrue();
      other.send(new TpcBegin(2, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      other.send(new StoreA(Oid.ROOT, Tid.Z64, Bytes.wrap(new byte[3000]), 2));
      assertThat(other.call(new Vote(other.id(), 2))).isEqualTo(VoteResult.OK);
      assertThat(other.call(new TpcFinish(other.id(), 2))).isNotNull();
    }
  }
}
