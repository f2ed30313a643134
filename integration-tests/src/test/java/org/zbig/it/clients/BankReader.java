package org.zbig.it.clients;

import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.PersistentMapping;
import org.zbig.client.virtmem.VirtMem;

/**
 * Reads until a deadline, each round in the newest snapshot: the balances of all accounts, whose
 * total must be what the accounts began with in every snapshot (the bank invariant), and the last
 * row of the array {@link ArrayAppender} grows, which must hold what it writes. Prints {@code bad
 * ...} for a snapshot that breaks either, and at the end {@code done reads=N bad=M failures=F}.
 * Failures (the server gone) are counted and reading goes on.
 *
 * <p>Arguments: HOST:PORT ACCOUNTS TOTAL ARRAY-NAME SECONDS.
 */
public final class BankReader {
  private BankReader() {}

  /** Runs the client. */
  public static void main(String[] args) throws InterruptedException {
    int accounts = Integer.parseInt(args[1]);
    long total = Long.parseLong(args[2]);
    long deadline = System.nanoTime() + (long) (Double.parseDouble(args[4]) * 1e9);
    long reads = 0;
    long bad = 0;
    long failures = 0;
    try (Database db = Clients.open(args[0], "reader");
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 2)) {
      ZBigArray.register(db.registry());
      Connection c = db.open();
      while (System.nanoTime() < deadline) {
        try {
          c.sync();
          long sum = 0;
          for (int i = 0; i < accounts; i++) {
            sum += (Long) c.root().get("account-" + i, PersistentMapping.class).get("balance");
          }
          if (sum != total) {
            bad++;
            Clients.say(
                "bad total " + sum + " at " + c.snapshot().toHex() + " (expected " + total + ")");
          }
          ZBigArray za = c.root().get(args[3], ZBigArray.class);
          long rows = za.shape()[0];
          int cols = (int) za.shape()[1];
          if (rows > 0) {
            BigArray a = za.open(vm);
            try (BigArray.View v = a.view(false, Index.slice(rows - 1, rows, 1))) {
              double[] got = v.array().toDoubleArray();
              if (!java.util.Arrays.equals(got, ArrayAppender.row(rows - 1, cols))) {
                bad++;
                Clients.say("bad row " + (rows - 1) + " at " + c.snapshot().toHex());
              }
            }
          }
          reads++;
        } catch (RuntimeException e) {
          failures++;
          Thread.sleep(100);
        }
      }
      c.close();
    }
    Clients.say("done reads=" + reads + " bad=" + bad + " failures=" + failures);
  }
}
