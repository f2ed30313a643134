package org.zbig.it.clients;

import java.util.Random;
import org.zbig.client.Database;
import org.zbig.client.PersistentMapping;
import org.zbig.zodb.error.ConflictException;

/**
 * Moves amounts between accounts until a deadline: each transfer is one transaction that changes
 * two accounts and appends the transfer to this client's log. Prints {@code ack N FROM TO AMOUNT}
 * once transfer N of this client is committed. Failures (the server gone, conflicts that kept
 * coming back) are printed and the next transfer is tried: the log, read inside each transaction,
 * tells which transfers really committed.
 *
 * <p>Arguments: HOST:PORT CLIENT-ID ACCOUNTS SECONDS SEED.
 */
public final class BankClient {
  private BankClient() {}

  /** Runs the client. */
  public static void main(String[] args) throws InterruptedException {
    String id = args[1];
    int accounts = Integer.parseInt(args[2]);
    long deadline = System.nanoTime() + (long) (Double.parseDouble(args[3]) * 1e9);
    Random random = new Random(Long.parseLong(args[4]));
    try (Database db = Clients.open(args[0], "bank-" + id)) {
      long acked = 0;
      long failures = 0;
      long[] attempts = {0};
      while (System.nanoTime() < deadline) {
        int from = random.nextInt(accounts);
        int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
        long amount = 1L + random.nextInt(100);
        try {
          long n =
              db.run(
                  50,
                  c -> {
                    attempts[0]++; // once per attempt: a retry is a conflict
                    PersistentMapping a = c.root().get("account-" + from, PersistentMapping.class);
                    PersistentMapping b = c.root().get("account-" + to, PersistentMapping.class);
                    a.put("balance", (Long) a.get("balance") - amount);
                    b.put("balance", (Long) b.get("balance") + amount);
                    PersistentMapping log = c.root().get("log-" + id, PersistentMapping.class);
                    long next = log.size() + 1L;
                    log.put(String.valueOf(next), from + " " + to + " " + amount);
                    return next;
                  });
          acked++;
          Clients.say("ack " + n + " " + from + " " + to + " " + amount);
        } catch (ConflictException busy) {
          failures++;
        } catch (RuntimeException e) {
          failures++;
          Clients.say("retry after " + e);
          Thread.sleep(100);
        }
      }
      Clients.say(
          "done acked=" + acked + " failures=" + failures + " retried=" + (attempts[0] - acked));
    }
  }
}
