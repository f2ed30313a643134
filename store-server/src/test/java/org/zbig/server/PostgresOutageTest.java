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
 * PostgreSQL unreachable for a while under a server on it: the server reaches the database through
 * a TCP relay the test cuts (every connection dropped, new ones refused) and restores, the fault
 * injected between two real processes' sockets. Commits during the outage fail with an error reply
 * and the client's connection stays; once the database is back, commits go on, and every
 * acknowledged commit is there, also for a new server on the database.
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
}
