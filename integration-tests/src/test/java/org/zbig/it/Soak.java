package org.zbig.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.it.clients.ArrayAppender;
import org.zbig.it.clients.BankReader;
import org.zbig.it.clients.Clients;

/**
 * The soak, run by hand through {@code bin/soak.sh} (not in CI): a server on RocksDB under a mixed
 * load of client processes while it is killed with {@code kill -9} every few seconds and started
 * again on the same data, then a check of everything the clients were told.
 *
 * <p>The load: three {@code BankClient}s moving amounts between eight accounts in conflicting
 * transactions (commits with conflicts and retries), an {@link ArrayAppender} appending 2 MiB rows
 * to a {@link ZBigArray} (2 MiB blocks, array appends), and a {@link BankReader} reading every
 * account and the array's last row in the newest snapshot, over and over (reads; it reports any
 * snapshot whose total is off or whose row is wrong). At the end: every acknowledged transfer is in
 * its client's log, the balances are what the logged transfers make them and the total is unchanged
 * ({@code BankTest.verify}); every acknowledged row is there and every row of the array holds what
 * the appender writes; the reader saw no bad snapshot. The pauses between kills are random from a
 * printed seed.
 *
 * <p>Argument: SECONDS, the load's length. System property {@code zbig.soak=MIN,MAX[,SEED]}: the
 * range of seconds between kills (default 2 to 5) and the seed of the pauses.
 */
public final class Soak {
  private Soak() {}

  static final int COLS = 262_144; // a row of float64 is one 2 MiB block

  /** Runs the soak; exits 1 if a check fails. */
  public static void main(String[] args) throws Exception {
    double seconds = Double.parseDouble(args[0]);
    String[] more = System.getProperty("zbig.soak", "2,5").split(",");
    double minGap = Double.parseDouble(more[0]);
    double maxGap = Double.parseDouble(more[1]);
    long seed = more.length > 2 ? Long.parseLong(more[2]) : System.nanoTime();
    System.out.printf(
        "soak: %.0f s, kill -9 every %.1f-%.1f s, seed %d (bin/soak.sh SECONDS MIN MAX SEED"
            + " repeats the pauses)%n",
        seconds, minGap, maxGap, seed);
    Random random = new Random(seed);
    Path data = Files.createTempDirectory("zbig-soak");
    int port = Procs.freePort();
    String addr = "127.0.0.1:" + port;
    Procs.Proc server = Procs.server(port, data);
    List<Procs.Proc> clients = new ArrayList<>();
    try {
      int bankers = 3;
      BankTest.setUp(addr, bankers);
      try (Database db = Clients.open(addr, "setup")) {
        ZBigArray.register(db.registry());
        db.runVoid(c ->
            c.root()
                .put(
                    "soak",
                    new ZBigArray(new long[] {0, COLS}, DType.scalar("<f8"), 'C', 2 << 20)));
      }
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      List<Procs.Proc> bank = BankTest.start(Collections.nCopies(bankers, addr), seconds);
      clients.addAll(bank);
      Procs.Proc appender = Procs.java(ArrayAppender.class, addr, "soak", String.valueOf(seconds));
      Procs.Proc reader =
          Procs.java(
              BankReader.class,
              addr,
              String.valueOf(BankTest.ACCOUNTS),
              String.valueOf(BankTest.ACCOUNTS * BankTest.INITIAL),
              "soak",
              String.valueOf(seconds));
      clients.add(appender);
      clients.add(reader);

      List<Long> backMillis = new ArrayList<>();
      long peakRss = 0;
      int cycles = 0;
      for (; ; ) {
        double gap = minGap + random.nextDouble() * (maxGap - minGap);
        if (System.nanoTime() + (long) ((gap + maxGap) * 1e9) > end) {
          break; // leave the load a last stretch on a server that stays
        }
        Thread.sleep((long) (gap * 1000));
        peakRss = Math.max(peakRss, peakRssKiB(server));
        server.kill9();
        cycles++;
        long t0 = System.nanoTime();
        server = Procs.server(port, data);
        long back = (System.nanoTime() - t0) / 1_000_000;
        backMillis.add(back);
        System.out.printf(
            "cycle %d at %.1f s: killed after %.1f s; back in %d ms; acknowledged so far:"
                + " %d transfers, %d rows%n",
            cycles,
            (System.nanoTime() - start) / 1e9,
            gap,
            back,
            bank.stream().mapToLong(BankTest::acks).sum(),
            BankTest.acks(appender));
      }

      for (Procs.Proc p : clients) {
        int status = p.waitFor(Duration.ofMinutes(5));
        if (status != 0) {
          throw new AssertionError(p.name + " exited " + status + ":\n" + p.output());
        }
      }
      peakRss = Math.max(peakRss, peakRssKiB(server));
      long transfers = BankTest.verify(addr, bank);
      long rows = verifyArray(addr, appender);
      String readerDone = last(reader, "done ");
      if (!readerDone.contains(" bad=0 ") || readerDone.contains("reads=0 ")) {
        throw new AssertionError("the reader: " + readerDone + "\n" + reader.output());
      }
      long failures =
          clients.stream()
              .flatMap(p -> p.lines.stream())
              .filter(l -> l.startsWith("retry after "))
              .count();
      Collections.sort(backMillis);
      System.out.printf(
          "soak passed: %d kill -9 cycles in %.0f s; %d transfers in the logs (%d acknowledged,"
              + " all there), %d rows of 2 MiB (%d acknowledged, all there and intact); reader: %s;"
              + " %d client requests failed while the server was down, then retried; restart to ready: median %d ms,"
              + " max %d ms; server peak RSS %d MiB%n",
          cycles,
          (System.nanoTime() - start) / 1e9,
          transfers,
          bank.stream().mapToLong(BankTest::acks).sum(),
          rows,
          BankTest.acks(appender),
          readerDone,
          failures,
          backMillis.isEmpty() ? 0 : backMillis.get(backMillis.size() / 2),
          backMillis.isEmpty() ? 0 : backMillis.getLast(),
          peakRss / 1024);
      if (cycles < 20) {
        System.out.printf("note: %d cycles, fewer than 20: give it more seconds%n", cycles);
      }
    } catch (AssertionError e) {
      System.out.println("SOAK FAILED: " + e.getMessage());
      System.out.println("data kept in " + data + "; server output:\n" + server.output());
      System.exit(1);
    } finally {
      for (Procs.Proc p : clients) {
        p.close();
      }
      server.term();
      server.waitFor(Duration.ofSeconds(30));
    }
    deleteTree(data);
    System.exit(0);
  }

  /** Checks every acknowledged row is there and every row holds what the appender writes. */
  private static long verifyArray(String addr, Procs.Proc appender) {
    try (Database db = Clients.open(addr, "verify-array");
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 2)) {
      ZBigArray.register(db.registry());
      Connection c = db.open();
      ZBigArray za = c.root().get("soak", ZBigArray.class);
      long rows = za.shape()[0];
      long maxAcked =
          appender.lines.stream()
              .filter(l -> l.startsWith("ack "))
              .mapToLong(l -> Long.parseLong(l.substring(4)))
              .max()
              .orElse(-1);
      if (maxAcked >= rows) {
        throw new AssertionError("row " + maxAcked + " was acknowledged; the array has " + rows);
      }
      BigArray a = za.open(vm);
      for (long r = 0; r < rows; r++) {
        try (BigArray.View v = a.view(false, Index.slice(r, r + 1, 1))) {
          if (!java.util.Arrays.equals(v.array().toDoubleArray(), ArrayAppender.row(r, COLS))) {
            throw new AssertionError("row " + r + " does not hold what was appended");
          }
        }
      }
      c.close();
      return rows;
    }
  }

  private static String last(Procs.Proc p, String prefix) {
    String found = "";
    for (String l : p.lines) {
      if (l.startsWith(prefix)) {
        found = l;
      }
    }
    return found;
  }

  /** The largest VmHWM (KiB) of the server's processes (its launcher and its JVM). */
  private static long peakRssKiB(Procs.Proc server) {
    long max = 0;
    List<ProcessHandle> all = new ArrayList<>();
    all.add(server.process.toHandle());
    server.process.descendants().forEach(all::add);
    for (ProcessHandle h : all) {
      try {
        for (String l : Files.readAllLines(Path.of("/proc", String.valueOf(h.pid()), "status"))) {
          if (l.startsWith("VmHWM:")) {
            max = Math.max(max, Long.parseLong(l.replaceAll("[^0-9]", "")));
          }
        }
      } catch (java.io.IOException gone) {
        // ended meanwhile
      }
    }
    return max;
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
