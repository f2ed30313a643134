package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.PersistentMapping;
import org.zbig.it.clients.Clients;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ConflictException;

/**
 * Two {@code bin/zbig-server serve --backend postgres} processes on one PostgreSQL database, used
 * through the Java client as an application would: a commit through one server is seen through the
 * other at the next transaction boundary, conflicting commits through different servers are
 * detected, many client processes moving money through both servers lose nothing, and when one
 * server is killed with {@code kill -9} its clients fail over to the other and go on.
 */
@SuppressWarnings("try") // servers are held open by try-with-resources
class PostgresScaleOutTest {
  @TempDir Path dir;
  private PostgresSchema schema;

  @BeforeEach
  void schema(TestInfo test) {
    schema =
        PostgresSchema.create(
            Integer.toHexString(test.getTestMethod().orElseThrow().getName().hashCode()));
  }

  @AfterEach
  void drop() {
    schema.close();
  }

  private Procs.Proc server(int port, String name) throws InterruptedException {
    return Procs.server(
        port,
        dir.resolve(name),
        "--backend",
        "postgres",
        "--jdbc-url",
        schema.url(),
        "--jdbc-pool-size",
        "4");
  }

  private static String at(int port) {
    return "127.0.0.1:" + port;
  }

  @Test
  void aCommitThroughOneServerIsSeenThroughTheOtherAtItsNextTransactionBoundary() throws Exception {
    int p1 = Procs.freePort();
    int p2 = Procs.freePort();
    try (Procs.Proc one = server(p1, "one");
        Procs.Proc two = server(p2, "two");
        Database d1 = Clients.open(at(p1), "one");
        Database d2 = Clients.open(at(p2), "two")) {
      Connection c1 = d1.open();
      Connection c2 = d2.open();
      assertThat(c2.root().get("m")).isNull(); // c2's snapshot starts here
      PersistentMapping m = new PersistentMapping();
      m.put("value", "one");
      c1.root().put("m", m);
      Tid t1 = c1.commit("through server one");
      // the invalidation reaches d2 on its own (LISTEN/NOTIFY); c2 keeps its snapshot meanwhile
      assertThat(d2.awaitNewer(c2.snapshot(), Duration.ofSeconds(10))).isEqualTo(t1);
      assertThat(c2.root().get("m")).isNull();
      c2.newTransaction();
      assertThat(c2.snapshot()).isEqualTo(t1);
      PersistentMapping seen = c2.root().get("m", PersistentMapping.class);
      assertThat(seen.get("value")).isEqualTo("one");

      // both change the mapping from the same snapshot: the second commit, through the other
      // server, is refused as a conflict and leaves nothing behind
      seen.put("value", "two");
      Tid t2 = c2.commit("through server two");
      assertThat(t2).isGreaterThan(t1);
      c1.root().get("m", PersistentMapping.class).put("value", "one again");
      assertThatThrownBy(() -> c1.commit("stale")).isInstanceOf(ConflictException.class);
      c1.sync(); // server_sync through server one shows server two's commit at once
      assertThat(c1.snapshot()).isEqualTo(t2);
      assertThat(c1.root().get("m", PersistentMapping.class).get("value")).isEqualTo("two");
      c1.close();
      c2.close();
    }
  }

  @Test
  void transfersThroughBothServersConserveTheTotalAndLoseNoAcknowledgedOne() throws Exception {
    int p1 = Procs.freePort();
    int p2 = Procs.freePort();
    try (Procs.Proc one = server(p1, "one");
        Procs.Proc two = server(p2, "two")) {
      List<String> servers = List.of(at(p1), at(p2), at(p1), at(p2));
      BankTest.setUp(at(p1), servers.size());
      List<Procs.Proc> clients = BankTest.start(servers, 8);
      try {
        for (Procs.Proc p : clients) {
          assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.output()).isZero();
          assertThat(BankTest.acks(p)).as(p.output()).isPositive();
        }
        long transfers = BankTest.verify(at(p2), clients);
        assertThat(BankTest.verify(at(p1), clients)).isEqualTo(transfers);
        assertThat(transfers).isEqualTo(clients.stream().mapToLong(BankTest::acks).sum());
        System.out.printf(
            "bank on PostgreSQL: %d transfers by %d client processes through 2 servers%n",
            transfers, clients.size());
      } finally {
        for (Procs.Proc p : clients) {
          p.close();
        }
      }
    }
  }

  @Test
  void killingOneServerLosesNoAcknowledgedTransferAndItsClientsGoOnThroughTheOther()
      throws Exception {
    int p1 = Procs.freePort();
    int p2 = Procs.freePort();
    Procs.Proc one = server(p1, "one");
    List<Procs.Proc> clients = new ArrayList<>();
    try (Procs.Proc two = server(p2, "two")) {
      // clients 0 and 1 start on server one, client 2 on server two; each may fail over
      List<String> servers =
          List.of(at(p1) + "," + at(p2), at(p1) + "," + at(p2), at(p2) + "," + at(p1));
      BankTest.setUp(at(p2), servers.size());
      clients.addAll(BankTest.start(servers, 15));
      for (Procs.Proc p : clients) {
        p.await("ack 5 ", Duration.ofMinutes(1));
      }
      one.kill9();
      long[] before = clients.stream().mapToLong(BankTest::acks).toArray();
      // server one stays down: its clients go on through server two
      for (int i = 0; i < clients.size(); i++) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (BankTest.acks(clients.get(i)) <= before[i] + 3 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(BankTest.acks(clients.get(i)))
            .as(clients.get(i).output())
            .isGreaterThan(before[i] + 3);
      }
      for (Procs.Proc p : clients) {
        assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.output()).isZero();
      }
      long transfers = BankTest.verify(at(p2), clients);
      System.out.printf(
          "bank on PostgreSQL with kill -9 of one of 2 servers: %d transfers committed, %d"
              + " acknowledged%n",
          transfers, clients.stream().mapToLong(BankTest::acks).sum());
    } finally {
      for (Procs.Proc p : clients) {
        p.close();
      }
      one.close();
    }
  }
}
