package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers keep and let go of their iterators while a writer rewrites big values and flushes run:
 * the iterators a flush makes stale are closed by the reaper thread or by their owner when it lets
 * them go, never both and never while in use. Every value read is whole and one that was written.
 * Random: the seed is printed, {@code -Dzbig.seed=N} replays a run.
 */
class RocksKvFlushRaceTest {
  @TempDir Path dir;

  private static final int KEYS = 24;
  private static final int SIZE = 96 << 10; // above the blob threshold

  private static byte[] key(int k) {
    return ("blk" + k).getBytes(StandardCharsets.UTF_8);
  }

  /** Value {@code version} of key {@code k}: its header, then bytes made from both. */
  private static byte[] value(int k, long version) {
    ByteBuffer b = ByteBuffer.allocate(SIZE);
    b.putInt(k).putLong(version);
    Random r = new Random(k * 1_000_003L + version);
    byte[] rest = new byte[SIZE - 12];
    r.nextBytes(rest);
    b.put(rest);
    return b.array();
  }

  /** One step of a thread's loop. */
  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }

  private final AtomicBoolean stop = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
  private final CountDownLatch started = new CountDownLatch(5);
  private final List<Thread> threads = new ArrayList<>();

  /** Starts a thread that runs {@code step} until {@link #stop}, keeping its failure. */
  private void loop(Step step) {
    threads.add(
        Thread.ofPlatform()
            .start(() -> {
              started.countDown();
              try {
                while (!stop.get()) {
                  step.run();
                }
              } catch (Throwable e) {
                failures.add(e);
              }
            }));
  }

  @Test
  void readersSeeWholeValuesWhileFlushesCloseTheirIterators() throws Exception {
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    System.out.println("RocksKvFlushRaceTest seed " + seed + " (-Dzbig.seed=" + seed + ")");
    try (RocksKv kv = new RocksKv(dir, Compression.DEFAULT, TimeUnit.MILLISECONDS.toNanos(5))) {
      AtomicLong[] written = new AtomicLong[KEYS]; // the newest version of each key written
      Map<byte[], byte[]> first = new IdentityHashMap<>();
      for (int k = 0; k < KEYS; k++) {
        written[k] = new AtomicLong();
        first.put(key(k), value(k, 0));
      }
      kv.write(first, true);
      AtomicLong reads = new AtomicLong();
      AtomicLong flushes = new AtomicLong();
      for (int t = 0; t < 3; t++) {
        Random r = new Random(seed + t);
        loop(() -> {
          int k = r.nextInt(KEYS);
          long atLeast = written[k].get();
          try (Kv.Cursor c = kv.cursor(r.nextBoolean())) {
            c.seek(key(k));
            assertThat(c.valid()).isTrue();
            byte[] v = c.value();
            long version = ByteBuffer.wrap(v).getLong(4);
            assertThat(version).as("not older than written before").isGreaterThanOrEqualTo(atLeast);
            assertThat(v).as("key %d version %d", k, version).isEqualTo(value(k, version));
          }
          reads.incrementAndGet();
          if (r.nextInt(8) == 0) {
            Thread.sleep(0, 1 + r.nextInt(20_000)); // idle now and then: reaped
          }
        });
      }
      Random wr = new Random(seed - 1);
      AtomicLong versions = new AtomicLong();
      loop(() -> {
        long version = versions.incrementAndGet();
        Map<byte[], byte[]> batch = new IdentityHashMap<>();
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          int k = wr.nextInt(KEYS);
          if (!keys.contains(k)) {
            keys.add(k);
            batch.put(key(k), value(k, version));
          }
        }
        kv.write(batch, false);
        for (int k : keys) {
          written[k].accumulateAndGet(version, Math::max);
        }
      });
      loop(() -> {
        kv.flush(); // each one makes the kept iterators stale
        flushes.incrementAndGet();
        Thread.sleep(3);
      });
      started.await();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < end && failures.isEmpty()) {
        Thread.sleep(50);
      }
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
      assertThat(failures).as("seed %d", seed).isEmpty();
      assertThat(flushes.get()).as("flushes").isGreaterThan(10);
      assertThat(reads.get()).as("reads").isGreaterThan(100);
      System.out.println(
          "RocksKvFlushRaceTest: " + reads.get() + " reads across " + flushes.get() + " flushes");
    }
  }
}
