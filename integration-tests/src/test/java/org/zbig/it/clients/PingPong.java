package org.zbig.it.clients;

import java.time.Duration;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.zodb.Tid;

/**
 * Two programs taking turns through the database: {@code ping} writes {@code root['ping'] = n} and
 * waits until it sees {@code root['pong'] == n}; {@code pong} waits for each ping and answers it.
 * Each side only learns of the other's commit through the server's invalidations.
 *
 * <p>Arguments: HOST:PORT ping|pong ROUNDS.
 */
public final class PingPong {
  private PingPong() {}

  /** Runs one side. */
  public static void main(String[] args) throws InterruptedException {
    boolean ping = args[1].equals("ping");
    int rounds = Integer.parseInt(args[2]);
    String mine = ping ? "ping" : "pong";
    String theirs = ping ? "pong" : "ping";
    try (Database db = Clients.open(args[0], mine)) {
      Connection c = db.open();
      for (long n = 1; n <= rounds; n++) {
        if (ping) {
          c.root().put(mine, n);
          c.commit(mine + " " + n);
        }
        // wait for the other side's n, woken by invalidations
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (; ; ) {
          c.newTransaction();
          Object seen = c.root().get(theirs);
          if (seen instanceof Long v && v == n) {
            break;
          }
          if (System.nanoTime() > deadline) {
            Clients.say("timeout waiting for " + theirs + " " + n + ", saw " + seen);
            System.exit(2);
          }
          Tid at = c.snapshot();
          db.awaitNewer(at, Duration.ofSeconds(5));
        }
        if (!ping) {
          c.root().put(mine, n);
          c.commit(mine + " " + n);
        }
        Clients.say(mine + " round " + n);
      }
      c.close();
    }
  }
}
