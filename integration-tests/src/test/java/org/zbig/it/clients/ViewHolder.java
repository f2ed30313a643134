package org.zbig.it.clients;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;

/**
 * Keeps a view of the rows an array has when it starts open, and on each {@code check} line read
 * from its input moves to the newest transaction and checks the view against what {@code zbig array
 * grow} writes ({@code [r, c] = r * cols + c}), printing {@code ok ROWS SUM} or {@code bad ...}.
 * The view stays open across server restarts.
 *
 * <p>Arguments: HOST:PORT ARRAY-NAME.
 */
public final class ViewHolder {
  private ViewHolder() {}

  /** Runs the client. */
  public static void main(String[] args) throws Exception {
    try (Database db = Clients.open(args[0], "view-holder");
        VirtMem vm = new VirtMem(2 << 20, 256L << 20, 2)) {
      ZBigArray.register(db.registry());
      Connection c = db.open();
      ZBigArray za = c.root().get(args[1], ZBigArray.class);
      long rows = za.shape()[0];
      BigArray a = za.open(vm);
      try (BigArray.View v = a.view("0:" + rows)) {
        Clients.say("holding rows 0.." + rows);
        BufferedReader commands =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = commands.readLine()) != null; ) {
          if (!line.equals("check")) {
            continue;
          }
          for (int attempt = 0; ; attempt++) {
            try {
              c.sync(); // a round trip: every commit finished before now is visible
              break;
            } catch (RuntimeException serverGone) {
              if (attempt > 300) {
                throw serverGone;
              }
              Thread.sleep(100);
            }
          }
          double[] got = v.array().toDoubleArray();
          double sum = 0;
          long wrong = 0;
          for (int i = 0; i < got.length; i++) {
            sum += got[i];
            wrong += got[i] == (double) i ? 0 : 1; // row r, column c holds r * cols + c
          }
          Clients.say(
              (wrong == 0 ? "ok " : "bad " + wrong + " wrong elements, ")
                  + za.shape()[0]
                  + " "
                  + sum);
        }
      }
      c.close();
    }
  }
}
