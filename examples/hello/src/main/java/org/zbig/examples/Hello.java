package org.zbig.examples;

import java.net.InetSocketAddress;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.zodb.Tid;

/**
 * Adds a day of hourly temperatures to the array {@code root['temperatures']} (days × 24 hours,
 * float64, created on the first run) and prints the mean noon temperature over all days.
 */
public final class Hello {
  private Hello() {}

  /** Runs against {@code args[0]} ({@code HOST:PORT}, default 127.0.0.1:8100). */
  public static void main(String[] args) {
    String server = args.length > 0 ? args[0] : "127.0.0.1:8100";
    int colon = server.lastIndexOf(':');
    InetSocketAddress address =
        new InetSocketAddress(
            server.substring(0, colon), Integer.parseInt(server.substring(colon + 1)));
    // pages of 2 MiB (wendelin.core's block size), up to 256 MiB of them in RAM, 2 read ahead
    try (Database db = Database.open(address);
        VirtMem vm = new VirtMem(2 << 20, 256L << 20, 2)) {
      ZBigArray.register(db.registry());
      Connection conn = db.open();
      ZBigArray temps = (ZBigArray) conn.root().get("temperatures");
      if (temps == null) {
        temps = new ZBigArray(new long[] {0, 24}, DType.scalar("<f8"), 'C', 2 << 20);
        conn.root().put("temperatures", temps);
        conn.commit("create temperatures");
      }
      long day = temps.shape()[0];
      temps.resize(day + 1, 24); // grow by one row: O(1), nothing is copied
      BigArray a = temps.open(vm);
      a.resize(day + 1, 24);
      try (BigArray.View today = a.view(true, Index.at(day))) { // a writable view of one row
        for (int hour = 0; hour < 24; hour++) {
          double t = 15 + 8 * Math.sin((hour - 9) * Math.PI / 12) + (day % 7);
          today.array().setDouble(t, hour);
        }
      }
      Tid tid = conn.commit("day " + day); // only the changed pages are stored
      double sum = 0;
      try (BigArray.View noon = a.view(":,12")) { // a strided view: column 12 of every row
        for (double t : noon.array().toDoubleArray()) {
          sum += t;
        }
      }
      System.out.printf(
          "stored day %d at tid %s; %d days, mean noon temperature %.2f%n",
          day, tid.toHex(), day + 1, sum / (day + 1));
      conn.close();
    }
  }
}
