package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The iterators a thread keeps between its cursors: each cursor sees what was written before it was
 * opened, nested cursors are independent, and iterators left idle are closed. Big writes reuse one
 * batch: each carries only its own entries, and one that finds the batch in use makes its own.
 */
class RocksKvTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String valueAt(Kv.Cursor c, String key) {
    c.seek(b(key));
    return c.valid() && new String(c.key(), StandardCharsets.UTF_8).equals(key)
        ? new String(c.value(), StandardCharsets.UTF_8)
        : null;
  }

  /**
   * What RocksDB's info log says of its checksums, read once the store is open; a log that says
   * nothing, or none at all, gives no answer.
   */
  @Test
  void readsWhetherRocksDbSumsInHardware() throws Exception {
    try (RocksKv kv = new RocksKv(dir.resolve("db"))) {
      assertThat(kv.get(new byte[] {1})).isNull();
      assertThat(RocksKv.fastCrc32(dir.resolve("db").resolve("LOG")))
          .as("the line RocksDB writes at open")
          .isNotNull();
    }
    Path log = dir.resolve("LOG.sample");
    Files.writeString(
        log, "2026/12/05-08:08:37.902139 1 Fast CRC32 supported: Not supported on x86\n");
    assertThat(RocksKv.fastCrc32(log)).isFalse();
    Files.writeString(
        log, "x\n2026/12/05-08:08:37.902139 1 Fast CRC32 supported: Supported on x86\n");
    assertThat(RocksKv.fastCrc32(log)).isTrue();
    Files.writeString(log, "2026/12/05-08:08:37.902139 1 Options.compression: LZ4\n");
    assertThat(RocksKv.fastCrc32(log)).isNull();
    assertThat(RocksKv.fastCrc32(dir.resolve("no-such-LOG"))).isNull();
  }

  /**
   * A close while a reclaim compacts stops the compaction and waits for it, and the store reopens
   * with every value: the reclaim's compaction is held as it begins until the close has begun.
   */
  @Test
  void closeStopsAReclaimUnderWayAndLosesNothing() throws Exception {
    Path db = dir.resolve("db");
    byte[][] values = new byte[24][];
    RocksKv kv = new RocksKv(db);
    java.util.Random r = new java.util.Random(5);
    for (int i = 0; i < values.length; i++) {
      values[i] = new byte[256 << 10]; // in blob files
      r.nextBytes(values[i]);
      kv.write(Map.of(new byte[] {'v', (byte) i}, values[i]), true);
    }
    Map<byte[], byte[]> deletes = new IdentityHashMap<>();
    deletes.put(new byte[] {'v', 0}, null);
    kv.write(deletes, true);
    CountDownLatch begun = new CountDownLatch(1);
    CountDownLatch closing = new CountDownLatch(1);
    kv.reclaimBegun =
        () -> {
          begun.countDown();
          try {
            closing.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    boolean done;
    try {
      var reclaimed = pool.submit(() -> kv.reclaim(Map.of(new byte[] {'d'}, new byte[] {1})));
      assertThat(begun.await(30, TimeUnit.SECONDS)).as("the reclaim's compaction began").isTrue();
      var closed = pool.submit(kv::close);
      while (!kv.stopping()) {
        Thread.onSpinWait();
      }
      closing.countDown();
      closed.get(30, TimeUnit.SECONDS);
      done = reclaimed.get(30, TimeUnit.SECONDS); // stopped, or done just before the stop
    } finally {
      pool.shutdownNow();
    }
    try (RocksKv again = new RocksKv(db)) {
      assertThat(again.get(new byte[] {'d'}))
          .as("the mark of a reclaim that " + (done ? "ended" : "was stopped"))
          .isEqualTo(done ? new byte[] {1} : null);
      assertThat(again.get(new byte[] {'v', 0})).isNull();
      for (int i = 1; i < values.length; i++) {
        assertThat(again.get(new byte[] {'v', (byte) i})).as("value " + i).isEqualTo(values[i]);
      }
      assertThat(again.reclaim(Map.of(new byte[] {'e'}, new byte[] {2})))
          .as("a reclaim of the reopened store")
          .isTrue();
      assertThat(again.get(new byte[] {'e'})).as("its mark").isEqualTo(new byte[] {2});
      assertThat(again.get(new byte[] {'v', 5})).isEqualTo(values[5]);
    }
  }

  @Test
  void aCursorSeesWhatWasWrittenAfterTheThreadsPreviousCursor() {
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("a"), b("1")), false);
      for (boolean checked : new boolean[] {false, true}) {
        try (Kv.Cursor c = kv.cursor(checked)) {
          assertThat(valueAt(c, "a")).isEqualTo("1");
        }
      }
      kv.write(Map.of(b("a"), b("2"), b("b"), b("3")), true);
      for (boolean checked : new boolean[] {false, true}) {
        try (Kv.Cursor c = kv.cursor(checked)) {
          assertThat(valueAt(c, "a")).isEqualTo("2");
          assertThat(valueAt(c, "b")).isEqualTo("3");
        }
      }
      assertThat(kv.keptIterators()).as("one kept per kind of cursor").isEqualTo(2);
    }
  }

  private static byte[] big(int seed) {
    byte[] v = new byte[2 << 20];
    new java.util.Random(seed).nextBytes(v);
    return v;
  }

  @Test
  void bigWritesOneAfterAnotherCarryNothingOfTheWriteBefore() {
    byte[] x = big(1);
    byte[] z = big(2);
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("x"), x, b("k"), b("first")), true);
      kv.write(Map.of(b("k"), b("second")), true); // a small write, not through the kept batch
      java.util.Map<byte[], byte[]> third = new java.util.IdentityHashMap<>();
      third.put(b("x"), null); // a delete
      third.put(b("z"), z);
      kv.write(third, true); // had the batch kept the first write, k would be "first" again
      assertThat(kv.get(b("k"))).isEqualTo(b("second"));
      assertThat(kv.get(b("x"))).isNull();
      assertThat(kv.get(b("z"))).isEqualTo(z);
    }
    try (RocksKv kv = new RocksKv(dir)) { // and so on disk
      assertThat(kv.get(b("k"))).isEqualTo(b("second"));
      assertThat(kv.get(b("x"))).isNull();
      assertThat(kv.get(b("z"))).isEqualTo(z);
    }
  }

  @Test
  void aBigWriteWhileTheKeptBatchIsInUseMakesItsOwn() throws Exception {
    byte[] first = big(4);
    byte[] second = big(5);
    try (RocksKv kv = new RocksKv(dir)) {
      kv.reusedLock.lock(); // as a big write in progress on another thread
      try {
        java.util.concurrent.CompletableFuture.runAsync(
                () -> kv.write(Map.of(b("a"), first), true),
                java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor())
            .get(30, java.util.concurrent.TimeUnit.SECONDS); // does not wait for the kept one
      } finally {
        kv.reusedLock.unlock();
      }
      kv.write(Map.of(b("b"), second), true); // the kept batch, free again
      assertThat(kv.get(b("a"))).isEqualTo(first);
      assertThat(kv.get(b("b"))).isEqualTo(second);
    }
  }

  @Test
  void nestedCursorsOfOneThreadAreIndependent() {
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("a"), b("1"), b("b"), b("2")), false);
      try (Kv.Cursor outer = kv.cursor(false)) {
        outer.seek(b("a"));
        try (Kv.Cursor inner = kv.cursor(false)) {
          inner.seek(b("b"));
          assertThat(inner.value()).isEqualTo(b("2"));
        }
        assertThat(outer.key()).isEqualTo(b("a"));
        outer.next();
        assertThat(outer.key()).isEqualTo(b("b"));
      }
      try (Kv.Cursor again = kv.cursor(false)) {
        assertThat(valueAt(again, "b")).isEqualTo("2");
      }
      assertThat(kv.keptIterators()).as("the nested one was not kept").isEqualTo(1);
    }
  }

  @Test
  void idleIteratorsAreClosedAndAThreadThatComesBackGetsANewOne() throws Exception {
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("a"), b("1")), false);
      Thread t = Thread.ofPlatform().start(() -> kv.cursor(true).close());
      t.join();
      try (Kv.Cursor c = kv.cursor(false)) {
        assertThat(valueAt(c, "a")).isEqualTo("1");
      }
      assertThat(kv.keptIterators()).isEqualTo(2);
      long deadline = System.nanoTime() + 20 * RocksKv.KEPT_IDLE_NANOS;
      while (kv.keptIterators() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(kv.keptIterators()).as("closed once idle").isZero();
      kv.write(Map.of(b("a"), b("4")), false);
      try (Kv.Cursor c = kv.cursor(false)) {
        assertThat(valueAt(c, "a")).isEqualTo("4");
      }
      assertThat(kv.keptIterators()).isEqualTo(1);
    }
  }

  private static final long MIB = 1 << 20;

  /** Waits up to 10 s for {@code done}. */
  private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @Test
  void aFlushedMemtableIsFreedOnceItsReadersAreDoneNotWhenTheyAreNextIdleTooLong()
      throws Exception {
    // the idle reaper is out of the way: only the flush can close the iterators
    try (RocksKv kv = new RocksKv(dir, Compression.DEFAULT, TimeUnit.HOURS.toNanos(1))) {
      Thread idle = Thread.ofPlatform().start(() -> kv.cursor(true).close());
      idle.join(); // its kept iterator pins the memtable the next writes go to
      CountDownLatch reading = new CountDownLatch(1);
      CountDownLatch letGo = new CountDownLatch(1);
      Thread busy =
          Thread.ofPlatform()
              .start(() -> {
                Kv.Cursor c = kv.cursor(false);
                try {
                  reading.countDown();
                  letGo.await(); // in use across the writes and the flush
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  c.close();
                }
              });
      reading.await();
      Map<byte[], byte[]> blocks = new IdentityHashMap<>();
      for (int i = 0; i < 16; i++) {
        blocks.put(b("blk" + i), big(100 + i));
      }
      kv.write(blocks, true);
      assertThat(kv.memtableBytes()).as("32 MiB in the memtable").isGreaterThan(32 * MIB);
      assertThat(kv.keptIterators()).isEqualTo(2);

      kv.flush();
      await(() -> kv.keptIterators() == 1);
      assertThat(kv.keptIterators()).as("the idle iterator was closed after the flush").isOne();
      assertThat(kv.memtableBytes())
          .as("the flushed memtable is still pinned by the cursor in use")
          .isGreaterThan(32 * MIB);

      letGo.countDown();
      busy.join();
      assertThat(kv.keptIterators()).as("closed when let go, being stale").isZero();
      await(() -> kv.memtableBytes() < 4 * MIB);
      assertThat(kv.memtableBytes()).as("the flushed memtable freed").isLessThan(4 * MIB);

      for (int i = 0; i < 16; i += 5) { // from the files now, through a new iterator
        try (Kv.Cursor c = kv.cursor(false)) {
          c.seek(b("blk" + i));
          assertThat(c.value()).isEqualTo(big(100 + i));
        }
      }
      assertThat(kv.keptIterators()).isOne();
    }
  }

  @Test
  void anIteratorRefreshedAfterTheFlushIsKept() throws Exception {
    try (RocksKv kv = new RocksKv(dir, Compression.DEFAULT, TimeUnit.HOURS.toNanos(1))) {
      kv.write(Map.of(b("a"), b("1")), true);
      kv.flush();
      try (Kv.Cursor c = kv.cursor(false)) {
        assertThat(valueAt(c, "a")).isEqualTo("1");
      }
      try (Kv.Cursor c = kv.cursor(false)) { // the same iterator, refreshed
        assertThat(valueAt(c, "a")).isEqualTo("1");
      }
      assertThat(kv.keptIterators()).as("current, so kept while idle").isOne();
    }
  }
}
