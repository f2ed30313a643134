package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.bigarray.ArrayFiles;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.Npy;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.PersistentMapping;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.it.clients.Clients;

/**
 * {@code kill -9} of {@code bin/zbig array import} and {@code append} after they committed some of
 * their checkpoints: the array is left empty, or as it was, and the next run succeeds.
 */
@SuppressWarnings("try") // the server is held open by try-with-resources
class AllOrNothingImportTest {
  @TempDir Path dir;

  private static final int COLS = 8;

  private static double value(long i) {
    return (i % 1000) * 0.25;
  }

  /** A C-order float64 .npy of {@code rows} x 8 elements, element i holding value(i + base). */
  private static Path npy(Path file, long rows, long base) throws Exception {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(Npy.header(DType.FLOAT64, 'C', new long[] {rows, COLS})));
      ByteBuffer b = ByteBuffer.allocateDirect(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
      long n = rows * COLS;
      for (long i = 0; i < n; ) {
        b.clear();
        while (b.hasRemaining() && i < n) {
          b.putDouble(value(i++ + base));
        }
        b.flip();
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
    }
    return file;
  }

  /** Waits until the array has data blocks committed (a checkpoint), polling a client. */
  private static void awaitCheckpoint(Database db, String name, long beyondBlocks, Procs.Proc p)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      try (Connection c = db.open()) {
        ZBigArray za = c.root().get(name, ZBigArray.class);
        if (za == null
            && c.root().get(ArrayFiles.IMPORTS_IN_PROGRESS) instanceof PersistentMapping m) {
          za = m.get(name, ZBigArray.class); // an import, before its last commit
        }
        if (za != null && za.zfile().blktab().keys().size() > beyondBlocks) {
          return;
        }
      }
      assertThat(p.process.isAlive()).as(p.output()).isTrue();
      Thread.sleep(50);
    }
    throw new AssertionError("no checkpoint of " + name + " within 3 minutes: " + p.output());
  }

  private static long[] shape(Database db, String name) {
    try (Connection c = db.open()) {
      return c.root().get(name, ZBigArray.class).shape();
    }
  }

  /** Elements at a few rows, checked against value(i + base). */
  private static void check(Database db, String name, long fromRow, long toRow, long base) {
    try (Connection c = db.open();
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 0)) {
      BigArray a = c.root().get(name, ZBigArray.class).open(vm);
      for (long r : new long[] {fromRow, (fromRow + toRow) / 2, toRow - 1}) {
        try (BigArray.View v = a.view(false, Index.at(r))) {
          for (int j = 0; j < COLS; j++) {
            assertThat(v.array().getDouble(j))
                .as("%s[%d, %d]", name, r, j)
                .isEqualTo(value((r - fromRow) * COLS + j + base));
          }
        }
      }
    }
  }

  @Test
  void aKilledImportOrAppendLeavesTheArrayAsItWasAndTheNextRunSucceeds() throws Exception {
    int port = Procs.freePort();
    long rows = (1L << 30) / (8 * COLS); // 1 GiB
    long more = (256L << 20) / (8 * COLS); // 256 MiB
    Path big = npy(dir.resolve("big.npy"), rows, 0);
    Path extra = npy(dir.resolve("extra.npy"), more, 7);
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"));
        Database db = Clients.open("127.0.0.1:" + port, "checker")) {
      ZBigArray.register(db.registry());
      // import: killed after its first checkpoint
      try (Procs.Proc imp = Procs.zbig(port, "array", "import", "imp", big.toString())) {
        awaitCheckpoint(db, "imp", 0, imp);
        imp.kill9();
      }
      try (Connection c = db.open()) {
        assertThat(c.root().containsKey("imp")).as("the array of a killed import").isFalse();
      }
      try (Procs.Proc imp = Procs.zbig(port, "array", "import", "imp", big.toString())) {
        assertThat(imp.waitFor(Duration.ofMinutes(10))).as(imp.output()).isZero();
      }
      assertThat(shape(db, "imp")).containsExactly(rows, COLS);
      check(db, "imp", 0, rows, 0);
      // append: killed after its first checkpoint past the end
      long blocks = (1L << 30) / (2 << 20);
      try (Procs.Proc app = Procs.zbig(port, "array", "append", "imp", extra.toString())) {
        awaitCheckpoint(db, "imp", blocks, app);
        app.kill9();
      }
      assertThat(shape(db, "imp")).containsExactly(rows, COLS); // unchanged
      check(db, "imp", 0, rows, 0);
      try (Procs.Proc app = Procs.zbig(port, "array", "append", "imp", extra.toString())) {
        assertThat(app.waitFor(Duration.ofMinutes(10))).as(app.output()).isZero();
      }
      assertThat(shape(db, "imp")).containsExactly(rows + more, COLS);
      check(db, "imp", rows, rows + more, 7);
      check(db, "imp", 0, rows, 0);
    }
  }
}
