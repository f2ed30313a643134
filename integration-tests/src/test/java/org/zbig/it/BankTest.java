package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.PersistentMapping;
import org.zbig.it.clients.BankClient;
import org.zbig.it.clients.Clients;
import org.zbig.wire.ServerStatus;

/**
 * Many client processes move amounts between accounts in conflicting transactions: the total is
 * conserved, every acknowledged transfer is in the database, and the balances are exactly what the
 * committed transfers make them, also when the server is killed with {@code kill -9} meanwhile.
 */
@SuppressWarnings("try") // servers are held open by try-with-resources
class BankTest {
  static final int ACCOUNTS = 8;
  static final long INITIAL = 1000;

  @TempDir Path dir;

  private static void setUp(int port, int clients) {
    setUp("127.0.0.1:" + port, clients);
  }

  /** Creates the accounts and the clients' logs through {@code servers}. */
  static void setUp(String servers, int clients) {
    try (Database db = Clients.open(servers, "setup")) {
      db.runVoid(c -> {
        for (int i = 0; i < ACCOUNTS; i++) {
          PersistentMapping a = new PersistentMapping();
          a.put("balance", INITIAL);
          c.root().put("account-" + i, a);
        }
        for (int i = 0; i < clients; i++) {
          c.root().put("log-" + i, new PersistentMapping());
        }
      });
    }
  }

  private static List<Procs.Proc> start(int port, int clients, double seconds) {
    List<String> servers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      servers.add("127.0.0.1:" + port);
    }
    return start(servers, seconds);
  }

  /** One client process per entry of {@code servers} (its --server list), for {@code seconds}. */
  static List<Procs.Proc> start(List<String> servers, double seconds) {
    List<Procs.Proc> all = new ArrayList<>();
    for (int i = 0; i < servers.size(); i++) {
      all.add(
          Procs.java(
              BankClient.class,
              servers.get(i),
              String.valueOf(i),
              String.valueOf(ACCOUNTS),
              String.valueOf(seconds),
              String.valueOf(42 + i)));
    }
    return all;
  }

  /** Checks the database against the clients' acknowledgements; returns the transfers. */
  private static long verify(int port, List<Procs.Proc> clients) {
    return verify("127.0.0.1:" + port, clients);
  }

  /** Checks the database, read through {@code servers}; returns the transfers. */
  static long verify(String servers, List<Procs.Proc> clients) {
    try (Database db = Clients.open(servers, "verify")) {
      Connection c = db.open();
      long[] expected = new long[ACCOUNTS];
      java.util.Arrays.fill(expected, INITIAL);
      long transfers = 0;
      for (int i = 0; i < clients.size(); i++) {
        PersistentMapping log = c.root().get("log-" + i, PersistentMapping.class);
        Map<String, String> logged = new HashMap<>();
        for (var e : log.entries()) {
          logged.put((String) e.getKey(), (String) e.getValue());
        }
        // numbered 1..n without a gap: no transaction applied twice or half
        for (int n = 1; n <= logged.size(); n++) {
          assertThat(logged).as("client %d's log", i).containsKey(String.valueOf(n));
        }
        for (String line : clients.get(i).lines) {
          if (line.startsWith("ack ")) {
            String[] f = line.split(" ");
            assertThat(logged.get(f[1]))
                .as("acknowledged transfer %s of client %d", f[1], i)
                .isEqualTo(f[2] + " " + f[3] + " " + f[4]);
          }
        }
        for (String t : logged.values()) {
          String[] f = t.split(" ");
          long amount = Long.parseLong(f[2]);
          expected[Integer.parseInt(f[0])] -= amount;
          expected[Integer.parseInt(f[1])] += amount;
          transfers++;
        }
      }
      long total = 0;
      for (int i = 0; i < ACCOUNTS; i++) {
        long balance = (Long) c.root().get("account-" + i, PersistentMapping.class).get("balance");
        assertThat(balance).as("account %d", i).isEqualTo(expected[i]);
        total += balance;
      }
      assertThat(total).isEqualTo(ACCOUNTS * INITIAL);
      c.close();
      return transfers;
    }
  }

  static long acks(Procs.Proc p) {
    return p.lines.stream().filter(l -> l.startsWith("ack ")).count();
  }

  @Test
  void concurrentTransfersConserveTheTotalAndLoseNoAcknowledgedOne() throws Exception {
    int port = Procs.freePort();
    int n = 4;
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      setUp(port, n);
      List<Procs.Proc> clients = start(port, n, 8);
      try {
        for (Procs.Proc p : clients) {
          assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.output()).isZero();
          assertThat(acks(p)).as(p.output()).isPositive();
        }
        long transfers = verify(port, clients);
        assertThat(transfers).isEqualTo(clients.stream().mapToLong(BankTest::acks).sum());
        // the transfers really raced: the server saw conflicts and the clients retried
        long conflicts;
        try (Database db = Clients.open("127.0.0.1:" + port, "status")) {
          conflicts = (Long) db.zeo().invoke(id -> new ServerStatus(id)).get("conflicts");
        }
        long retried =
            clients.stream()
                .flatMap(p -> p.lines.stream())
                .filter(l -> l.startsWith("done "))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf("retried=") + 8)))
                .sum();
        assertThat(conflicts).as("conflicts the server saw").isPositive();
        assertThat(retried).as("transfers the clients tried again").isPositive();
        System.out.printf(
            "bank: %d transfers by %d client processes, %d conflicts, %d retries%n",
            transfers, n, conflicts, retried);
      } finally {
        for (Procs.Proc p : clients) {
          p.close();
        }
      }
    }
  }

  @Test
  void killingTheServerDuringCommitsLosesNoAcknowledgedTransferAndClientsGoOn() throws Exception {
    int port = Procs.freePort();
    int n = 3;
    Path data = dir.resolve("data");
    Procs.Proc server = Procs.server(port, data);
    List<Procs.Proc> clients = new ArrayList<>();
    try {
      setUp(port, n);
      clients.addAll(start(port, n, 15));
      for (Procs.Proc p : clients) {
        p.await("ack 5 ", Duration.ofMinutes(1));
      }
      server.kill9();
      long[] before = clients.stream().mapToLong(BankTest::acks).toArray();
      Thread.sleep(500);
      server = Procs.server(port, data);
      // every client reconnects and goes on committing
      for (int i = 0; i < n; i++) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (acks(clients.get(i)) <= before[i] && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(acks(clients.get(i))).as(clients.get(i).output()).isGreaterThan(before[i]);
      }
      for (Procs.Proc p : clients) {
        assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.output()).isZero();
      }
      long transfers = verify(port, clients);
      long retries =
          clients.stream()
              .mapToLong(p -> p.lines.stream().filter(l -> l.startsWith("retry ")).count())
              .sum();
      System.out.printf(
          "bank with kill -9: %d transfers committed, %d acknowledged, %d attempts failed while"
              + " the server was away%n",
          transfers, clients.stream().mapToLong(BankTest::acks).sum(), retries);
    } finally {
      for (Procs.Proc p : clients) {
        p.close();
      }
      server.close();
    }
  }
}
