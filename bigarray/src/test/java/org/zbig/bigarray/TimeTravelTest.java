package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.Pack;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ReadOnlyException;

/** Historical connections: an array as it was at each of its transactions, and its log. */
class TimeTravelTest {
  @TempDir Path dir;

  private static final int COLS = 64; // 512 bytes a row, 8 rows a 4 KiB block

  /** What was committed: the tid, the shape's rows and every value, row-major. */
  private record Snapshot(Tid tid, String description, long rows, double[] values) {}

  private static Database open(ZeoServer server) {
    return Database.open(
        server.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
        1 << 20);
  }

  private static ZeoServer rocks(Path data) throws InterruptedException {
    ServerConfig m = ServerConfig.inMemory();
    return ZeoServer.start(
        new ServerConfig(m.host(), 0, data, "1", m.offer(), false, 100, null, true, m.maxFrame()));
  }

  @Test
  void anArrayChangedInTwentyTransactionsReadsAtEachTidWhatWasCommittedThen() throws Exception {
    long seed = System.nanoTime();
    System.out.println("TimeTravelTest seed: " + seed);
    Random rnd = new Random(seed);
    List<Snapshot> history = new ArrayList<>();
    try (ZeoServer server = rocks(dir.resolve("data"));
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(4096, 256L * 4096, 2)) {
      ZBigArray.register(db.registry());
      ZBigArray za = new ZBigArray(new long[] {16, COLS}, DType.FLOAT64, 'C', 4096);
      c.root().put("a", za);
      Tid created = c.commit("create");
      history.add(new Snapshot(created, "create", 16, new double[16 * COLS]));
      BigArray a = za.open(vm);
      double[] model = new double[16 * COLS];
      long rows = 16;
      for (int k = 1; k <= 20; k++) {
        String what;
        // a grow at 5, a shrink at 12, a grow again at 16 (zeros where the shrink cut)
        if (k == 5 || k == 12 || k == 16) {
          long newRows = k == 12 ? 7 : rows + 9 + rnd.nextInt(20);
          za.resize(newRows, COLS);
          a.resize(newRows, COLS);
          double[] next = new double[(int) (newRows * COLS)];
          System.arraycopy(model, 0, next, 0, Math.min(model.length, next.length));
          model = next;
          rows = newRows;
          what = "resize to " + newRows;
        } else {
          what = "write";
        }
        // then some rows changed, at random
        int changes = 1 + rnd.nextInt(4);
        for (int i = 0; i < changes; i++) {
          long r = rnd.nextLong(rows);
          double v = k * 1000 + rnd.nextInt(1000);
          try (BigArray.View view = a.view(true, Index.at(r))) {
            view.array().fill(v);
          }
          Arrays.fill(model, (int) (r * COLS), (int) ((r + 1) * COLS), v);
        }
        String description = "step " + k + ": " + what;
        Tid tid = c.commit(description);
        history.add(new Snapshot(tid, description, rows, model.clone()));
      }

      // every tid reads exactly what was committed then, through virtmem views
      for (Snapshot s : history) {
        try (Connection h = db.open(s.tid());
            VirtMem hvm = new VirtMem(4096, 256L * 4096, 2)) {
          assertThat(h.isHistorical()).isTrue();
          assertThat(h.snapshot()).isEqualTo(s.tid());
          ZBigArray old = h.root().get("a", ZBigArray.class);
          assertThat(old.shape())
              .as("shape at %s", s.description())
              .containsExactly(s.rows(), COLS);
          try (BigArray.View all = old.open(hvm).view("...")) {
            assertThat(all.array().toDoubleArray())
                .as("values at %s (seed %d)", s.description(), seed)
                .containsExactly(s.values());
          }
          // a new transaction does not move a historical connection
          h.newTransaction();
          assertThat(h.snapshot()).isEqualTo(s.tid());
        }
      }
      // a time: the newest transaction committed at or before it
      Snapshot mid = history.get(10);
      Tid between = new Tid((mid.tid().value() + history.get(11).tid().value()) / 2);
      try (Connection h = db.open(between.toInstant())) {
        assertThat(h.snapshot().compareTo(mid.tid())).isGreaterThanOrEqualTo(0);
        assertThat(h.snapshot().compareTo(history.get(11).tid())).isLessThan(0);
      }

      // the log: every transaction, with the shapes before and after
      List<ArrayHistory.Change> log = ArrayHistory.log(c, za);
      assertThat(log)
          .extracting(ArrayHistory.Change::tid)
          .containsExactlyElementsOf(history.stream().map(Snapshot::tid).toList());
      assertThat(log)
          .extracting(ArrayHistory.Change::description)
          .containsExactlyElementsOf(history.stream().map(Snapshot::description).toList());
      for (int i = 0; i < log.size(); i++) {
        ArrayHistory.Change ch = log.get(i);
        assertThat(ch.shapeAfter()).containsExactly(history.get(i).rows(), COLS);
        if (i == 0) {
          assertThat(ch.shapeBefore()).isNull();
          assertThat(ch.rowsAdded(za.majorAxis())).isEqualTo(16);
        } else {
          assertThat(ch.shapeBefore()).containsExactly(history.get(i - 1).rows(), COLS);
          assertThat(ch.rowsAdded(za.majorAxis()))
              .isEqualTo(history.get(i).rows() - history.get(i - 1).rows());
        }
      }
      // the log as of a past tid stops there
      try (Connection h = db.open(history.get(7).tid())) {
        assertThat(ArrayHistory.log(h, h.root().get("a", ZBigArray.class))).hasSize(8);
      }
    }
  }

  @Test
  void aHistoricalConnectionIsReadOnlyAndRefusesTidsOutsideTheKeptHistory() throws Exception {
    try (ZeoServer server = rocks(dir.resolve("data"));
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(4096, 64L * 4096, 0)) {
      ZBigArray.register(db.registry());
      ZBigArray za = new ZBigArray(new long[] {16, COLS}, DType.FLOAT64, 'C', 4096);
      c.root().put("a", za);
      Tid first = c.commit("create");
      BigArray a = za.open(vm);
      try (BigArray.View v = a.view(true, Index.at(3))) {
        v.array().fill(7);
      }
      Tid second = c.commit("write");

      try (Connection h = db.open(first);
          VirtMem hvm = new VirtMem(4096, 64L * 4096, 0)) {
        ZBigArray old = h.root().get("a", ZBigArray.class);
        assertThatThrownBy(() -> old.resize(20, COLS))
            .isInstanceOf(ReadOnlyException.class)
            .hasMessageContaining("read-only view of the database at " + first);
        assertThat(old.shape()).containsExactly(16, COLS); // unchanged
        assertThatThrownBy(() -> h.root().put("b", 1)).isInstanceOf(ReadOnlyException.class);
        // pages written in a historical view are refused at commit, and nothing is stored
        BigArray ha = old.open(hvm);
        try (BigArray.View v = ha.view(true, Index.at(0))) {
          v.array().fill(9);
        }
        assertThatThrownBy(h::commit).isInstanceOf(ReadOnlyException.class);
      }
      c.newTransaction();
      try (BigArray.View v = a.view("0")) {
        assertThat(v.array().getDouble(0)).isEqualTo(0.0);
      }
      assertThat(c.snapshot()).isEqualTo(second);

      // after the newest transaction: refused
      Tid future = new Tid(second.value() + (1L << 32));
      assertThatThrownBy(() -> db.open(future))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("after the newest transaction");

      // packed up to now: the first tid is gone, the newest still reads
      double packTime = second.toEpochSeconds() + 0.5;
      db.zeo().invoke(id -> new Pack(id, packTime, true));
      assertThat(db.packedUpTo().compareTo(second)).isGreaterThanOrEqualTo(0);
      assertThatThrownBy(() -> db.open(first))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tid " + first)
          .hasMessageContaining("before the last pack");
      try (Connection h = db.open(second);
          VirtMem hvm = new VirtMem(4096, 64L * 4096, 0);
          BigArray.View v = h.root().get("a", ZBigArray.class).open(hvm).view("3")) {
        assertThat(v.array().toDoubleArray()).containsOnly(7.0);
      }
    }
  }
}
