package org.zbig.it.clients;

import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.zodb.error.ConflictException;

/**
 * Appends rows to a two-dimensional float64 {@link ZBigArray} until a deadline, one row a
 * transaction; with 262,144 columns a row is one 2 MiB block. Row {@code r} holds {@code r * cols +
 * c} in column {@code c}, as {@code zbig array grow} writes. Prints {@code ack R} once row R is
 * committed; failures (the server gone) are printed and the next append is tried on the same
 * connection, so a row whose commit was cut may be there without an acknowledgement.
 *
 * <p>Arguments: HOST:PORT ARRAY-NAME SECONDS.
 */
public final class ArrayAppender {
  private ArrayAppender() {}

  /** Row {@code r} of an array of {@code cols} columns, as this client writes it. */
  public static double[] row(long r, int cols) {
    double[] v = new double[cols];
    for (int c = 0; c < cols; c++) {
      v[c] = (double) (r * cols + c);
    }
    return v;
  }

  /** Runs the client. */
  public static void main(String[] args) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (Double.parseDouble(args[2]) * 1e9);
    long acked = 0;
    long conflicts = 0;
    long failures = 0;
    try (Database db = Clients.open(args[0], "appender");
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 2)) {
      ZBigArray.register(db.registry());
      Connection c = db.open();
      while (System.nanoTime() < deadline) {
        try {
          ZBigArray za = c.root().get(args[1], ZBigArray.class);
          long from = za.shape()[0];
          int cols = (int) za.shape()[1];
          za.resize(from + 1, cols);
          BigArray a = za.open(vm);
          a.resize(from + 1, cols);
          try (BigArray.View v = a.view(true, Index.slice(from, from + 1, 1))) {
            v.array().copyFrom(row(from, cols));
          }
          c.commit("append row " + from);
          acked++;
          Clients.say("ack " + from);
        } catch (ConflictException e) {
          conflicts++;
        } catch (RuntimeException e) {
          failures++;
          Clients.say("retry after " + e);
          try {
            c.abort();
          } catch (RuntimeException stillGone) {
            // aborted locally all the same
          }
          Thread.sleep(100);
        }
      }
      c.close();
    }
    Clients.say("done acked=" + acked + " conflicts=" + conflicts + " failures=" + failures);
  }
}
