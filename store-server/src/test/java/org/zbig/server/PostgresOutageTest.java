package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.storage.PostgresStorage;
import org.zbig.server.storage.PostgresTestDatabase;
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

/**
 * PostgreSQL unreachable for a while under a server on it, with one client and under a load of
 * eight committing ones: the server reaches the database through a TCP relay the test cuts (every
 * connection dropped, new ones refused) and restores, the fault injected between two real
 * processes' sockets. Commits during the outage fail with an error reply and the client's
 * connection stays; once the database is back, commits go on, and every acknowledged commit is
 * there, also for a new server on the database.
 */
class PostgresOutageTest {
  @TempDir Path dir;

  /** A TCP relay to PostgreSQL that can be cut and restored. */
  private static final class Relay implements AutoCloseable {
    final ServerSocket listener;
    final InetSocketAddress target;
    final List<Socket> open = new ArrayList<>();
    volatile boolean cut;

    Relay(InetSocketAddress target) throws IOException {
      this.target = target;
      this.listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      Thread.ofPlatform().daemon().start(this::accept);
    }

    int port() {
      return listener.getLocalPort();
    }

    private void accept() {
      while (!listener.isClosed()) {
        try {
          Socket in = listener.accept();
          if (cut) {
            in.close(); // unreachable: refused
            continue;
          }
          Socket out = new Socket(target.getAddress(), target.getPort());
          synchronized (open) {
            open.add(in);
            open.add(out);
          }
          pump(in, out);
          pump(out, in);
        } catch (IOException e) {
          // closed, or one connection failed
        }
      }
    }

    private static void pump(Socket from, Socket to) {
      Thread.ofVirtual()
          .start(() -> {
            try (InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream()) {
              i.transferTo(o);
            } catch (IOException e) {
              // cut
            } finally {
              try {
                from.close();
                to.close();
              } catch (IOException e) {
                // closing anyway
              }
            }
          });
    }

    /** Drops every connection and refuses new ones. */
    void cut() throws IOException {
      cut = true;
      synchronized (open) {
        for (Socket s : open) {
          s.close();
        }
        open.clear();
      }
    }

    void restore() {
      cut = false;
    }

    @Override
    public void close() throws IOException {
      listener.close();
      cut();
    }
  }

  private static String through(String url, int port) {
    URI u = URI.create(url.substring("jdbc:".length()));
    return "jdbc:postgresql://127.0.0.1:" + port + u.getRawPath() + "?" + u.getRawQuery();
  }

  private static Tid commit(TestClient c, long txn, Oid oid, Bytes data, Tid serial) {
    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    c.send(new StoreA(oid, serial, data, txn));
    c.call(new Vote(c.id(), txn));
    return c.call(new TpcFinish(c.id(), txn));
  }

  @Test
  void commitsFailDuringAnOutageTheConnectionStaysAndEverythingAcknowledgedRemains()
      throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      URI u = URI.create(db.url().substring("jdbc:".length()));
      Oid a = new Oid(1);
      Oid b = new Oid(2);
      Tid ta;
      Tid tb;
      try (Relay relay = new Relay(new InetSocketAddress(u.getHost(), u.getPort()))) {
        PostgresStorage storage =
            PostgresStorage.open(through(db.url(), relay.port()), null, null, 4, dir.resolve("c"));
        try (ZeoServer server =
                ZeoServer.start(
                    ServerConfig.inMemory(), Limits.defaults(), null, List.of(), storage);
            TestClient c = new TestClient(server.address())) {
          c.call(new Register(c.id(), "1", false));
          ta = commit(c, 1, a, Bytes.utf8("a1"), Tid.Z64);
          // the first request after the cut may be the one that probes the database, waiting the
          // pool's 10 s connection timeout before it fails: read replies for longer than that
          c.socket.setSoTimeout(40_000);

          relay.cut();
          long t0 = System.nanoTime();
          assertThatThrownBy(() -> commit(c, 2, b, Bytes.utf8("b1"), Tid.Z64))
              .isInstanceOf(StorageException.class);
          try {
            c.call(new TpcAbort(c.id(), 2));
          } catch (RuntimeException ended) {
            // the server ended it with the failure
          }
          assertThat((System.nanoTime() - t0) / 1_000_000_000).as("seconds to fail").isLessThan(30);
          assertThat(c.socket.isClosed()).isFalse();

          relay.restore();
          // the database is back: the same connection commits again (the pool reconnects)
          Tid got = null;
          for (int attempt = 0; attempt < 30 && got == null; attempt++) {
            try {
              got = commit(c, 10 + attempt, b, Bytes.utf8("b1"), Tid.Z64);
            } catch (StorageException notYet) {
              try {
                c.call(new TpcAbort(c.id(), 10 + attempt));
              } catch (RuntimeException ended) {
                // ended by the server
              }
              Thread.sleep(500);
            }
          }
          assertThat(got).as("a commit once the database is back").isNotNull();
          tb = got;
          assertThat(c.call(LoadBefore.of(a, Tid.MAX)).orElseThrow().data())
              .isEqualTo(Bytes.utf8("a1"));
          assertThat(c.call(LoadBefore.of(b, Tid.MAX)).orElseThrow().start()).isEqualTo(tb);
        }
      }
      // a new server on the database, directly: every acknowledged commit is there
      PostgresStorage again = PostgresStorage.open(db.url(), null, null, 4, dir.resolve("d"));
      try (ZeoServer server =
              ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), again);
          TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        assertThat(c.call(LoadBefore.of(a, Tid.MAX)).orElseThrow().start()).isEqualTo(ta);
        assertThat(c.call(LoadBefore.of(b, Tid.MAX)).orElseThrow().start()).isEqualTo(tb);
        assertThat(c.call(LoadBefore.of(b, Tid.MAX)).orElseThrow().data())
            .isEqualTo(Bytes.utf8("b1"));
      }
    }
  }

  record Acked(Oid oid, Tid tid, Bytes data) {}

  @Test
  void manyClientsCommittingThroughAnOutageKeepTheirConnectionsAndLoseNoAcknowledgedCommit()
      throws Exception {
    int clients = 8;
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      URI u = URI.create(db.url().substring("jdbc:".length()));
      List<Acked> acked = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.atomic.AtomicIntegerArray acks =
          new java.util.concurrent.atomic.AtomicIntegerArray(clients);
      java.util.concurrent.atomic.AtomicIntegerArray failed =
          new java.util.concurrent.atomic.AtomicIntegerArray(clients);
      Map<Integer, Throwable> broken = new java.util.concurrent.ConcurrentHashMap<>();
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      long[] slowestFailureMillis = new long[clients];
      try (Relay relay = new Relay(new InetSocketAddress(u.getHost(), u.getPort()))) {
        PostgresStorage storage =
            PostgresStorage.open(through(db.url(), relay.port()), null, null, 4, dir.resolve("c"));
        try (ZeoServer server =
            ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), storage)) {
          List<Thread> threads = new ArrayList<>();
          for (int i = 0; i < clients; i++) {
            int me = i;
            threads.add(
                Thread.ofPlatform()
                    .start(() -> {
                      try (TestClient c = new TestClient(server.address())) {
                        c.socket.setSoTimeout(120_000); // a vote waits for the pool's timeout
                        c.call(new Register(c.id(), "1", false));
                        for (long txn = 1; !stop.get(); txn++) {
                          Bytes data = Bytes.utf8("client " + me + " txn " + txn);
                          long t0 = System.nanoTime();
                          try { // new oids need the database too
                            Oid oid = c.call(new org.zbig.wire.NewOids(c.id(), 1)).getFirst();
                            acked.add(new Acked(oid, commit(c, txn, oid, data, Tid.Z64), data));
                            acks.incrementAndGet(me);
                          } catch (StorageException e) {
                            failed.incrementAndGet(me);
                            slowestFailureMillis[me] =
                                Math.max(
                                    slowestFailureMillis[me], (System.nanoTime() - t0) / 1_000_000);
                            try {
                              c.call(new TpcAbort(c.id(), txn));
                            } catch (RuntimeException ended) {
                              // the server ended it with the failure
                            }
                            Thread.sleep(50);
                          }
                        }
                      } catch (Throwable e) { // the connection lost, or a wrong reply
                        broken.put(me, e);
                      }
                    }));
          }
          awaitEach(acks, 3, broken, "commits before the outage");
          relay.cut();
          awaitEach(failed, 1, broken, "a failed commit during the outage");
          int[] before = new int[clients];
          for (int i = 0; i < clients; i++) {
            before[i] = acks.get(i);
          }
          relay.restore();
          java.util.concurrent.atomic.AtomicIntegerArray since =
              new java.util.concurrent.atomic.AtomicIntegerArray(clients);
          long deadline = System.nanoTime() + 120_000_000_000L;
          for (int i = 0; i < clients; i++) {
            while (acks.get(i) < before[i] + 3
                && System.nanoTime() < deadline
                && broken.isEmpty()) {
              Thread.sleep(20);
            }
            since.set(i, acks.get(i) - before[i]);
          }
          stop.set(true);
          for (Thread t : threads) {
            t.join(180_000);
          }
          assertThat(broken).as("clients whose connection or replies failed").isEmpty();
          // one request a second waits for the pool's 10 s timeout; the others fail at once (50 s
          // for the last of eight queued commits before)
          assertThat(java.util.Arrays.stream(slowestFailureMillis).max().orElse(0))
              .as("milliseconds the slowest failing request took")
              .isLessThan(20_000);
          for (int i = 0; i < clients; i++) {
            assertThat(since.get(i))
                .as("commits of client %d once the database is back", i)
                .isGreaterThanOrEqualTo(3);
          }
          System.out.printf(
              "outage under %d committers: %d acknowledged, %d failed during the outage; slowest"
                  + " failure %d ms%n",
              clients,
              acked.size(),
              java.util.stream.IntStream.range(0, clients).map(failed::get).sum(),
              java.util.Arrays.stream(slowestFailureMillis).max().orElse(0));
        }
      }
      // a new server on the database, directly: every acknowledged commit is there
      PostgresStorage again = PostgresStorage.open(db.url(), null, null, 4, dir.resolve("e"));
      try (ZeoServer server =
              ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), again);
          TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        for (Acked a : List.copyOf(acked)) {
          var r = c.call(LoadBefore.of(a.oid(), Tid.MAX)).orElseThrow();
          assertThat(r.start()).as("tid of %s", a.oid()).isEqualTo(a.tid());
          assertThat(r.data()).isEqualTo(a.data());
        }
      }
    }
  }

  /** Waits until every counter reaches {@code n} (two minutes at most), or a client broke. */
  private static void awaitEach(
      java.util.concurrent.atomic.AtomicIntegerArray counts,
      int n,
      Map<Integer, Throwable> broken,
      String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (int i = 0; i < counts.length(); i++) {
      while (counts.get(i) < n) {
        assertThat(broken).as("clients whose connection or replies failed").isEmpty();
        assertThat(System.nanoTime()).as("client %d: %s", i, what).isLessThan(deadline);
        Thread.sleep(20);
      }
    }
  }
}
