package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * New oids come from blocks reserved by one durable write: never handed out twice, across a crash
 * too, and never held up by a commit's write.
 */
class OidReservationTest {
  @TempDir Path dir;

  /** A store in memory that counts synced writes and can hold a commit's write on a latch. */
  private static final class Watched implements Kv {
    final MemoryKv real = new MemoryKv();
    final AtomicInteger synced = new AtomicInteger();
    volatile CountDownLatch entered;
    volatile CountDownLatch release;

    @Override
    public byte[] get(byte[] key) {
      return real.get(key);
    }

    @Override
    public void write(Map<byte[], byte[]> entries, boolean sync) {
      CountDownLatch r = release;
      if (r != null && entries.size() > 1) { // a commit's batch, not a mark of one key
        entered.countDown();
        try {
          r.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (sync) {
        synced.incrementAndGet();
      }
      real.write(entries, sync);
    }

    @Override
    public Cursor cursor(boolean checked) {
      return real.cursor(checked);
    }

    @Override
    public void close() {}
  }

  private KvStorage over(Kv kv) {
    return KvStorage.over(kv, "test", dir.resolve("blobs"));
  }

  @Test
  void oneSyncedWriteServesABlockAndACrashNeverHandsAnOidOutTwice() {
    Watched kv = new Watched();
    KvStorage first = over(kv);
    int before = kv.synced.get();
    Set<Oid> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      seen.addAll(first.newOids(1));
    }
    assertThat(seen).hasSize(1000);
    assertThat(kv.synced.get() - before).as("synced writes for 1,000 calls").isEqualTo(1);
    // a crash: the first storage is never closed, a second one opens the same store
    KvStorage second = over(kv);
    List<Oid> next = second.newOids(100);
    assertThat(next).doesNotContainAnyElementsOf(seen);
    assertThat(next.getFirst().value()).isGreaterThan(1000);
    second.close();
    // a clean close gives the rest of the block back: the next start goes on without a gap
    KvStorage third = over(kv);
    assertThat(third.newOids(1)).containsExactly(new Oid(next.getLast().value() + 1));
    third.close();
  }

  @Test
  void blocksFollowStoredOidsAndCallsAskingMoreThanABlock() {
    Watched kv = new Watched();
    KvStorage s = over(kv);
    assertThat(s.newOids(2)).containsExactly(new Oid(1), new Oid(2));
    s.commit(
        new Tid(10), StorageContract.META, List.of(Write.data(new Oid(9000), Bytes.utf8("x"))));
    assertThat(s.newOids(1)).containsExactly(new Oid(9001)); // above a stored oid, block or not
    List<Oid> many = s.newOids(OidBlocks.BLOCK + 10);
    assertThat(many).hasSize(OidBlocks.BLOCK + 10);
    assertThat(many.getFirst()).isEqualTo(new Oid(9002));
    s.close();
    KvStorage again = over(kv);
    assertThat(again.newOids(1)).containsExactly(new Oid(many.getLast().value() + 1));
  }

  @Test
  void newOidsDoNotWaitForACommitsWrite() throws Exception {
    Watched kv = new Watched();
    KvStorage s = over(kv);
    s.newOids(1); // the first block reserved
    kv.entered = new CountDownLatch(1);
    kv.release = new CountDownLatch(1);
    // threads of their own: the common pool may have a single worker on a small machine
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> commit =
          threads.submit(() ->
              s.commit(
                  new Tid(10),
                  StorageContract.META,
                  List.of(Write.data(new Oid(1), Bytes.utf8("held")))));
      assertThat(kv.entered.await(10, TimeUnit.SECONDS)).as("the commit's write began").isTrue();
      // the commit's write is held: new oids are handed out meanwhile
      List<Oid> got = threads.submit(() -> s.newOids(3)).get(10, TimeUnit.SECONDS);
      assertThat(got).containsExactly(new Oid(2), new Oid(3), new Oid(4));
      assertThat(commit).isNotDone();
      kv.release.countDown();
      commit.get(10, TimeUnit.SECONDS);
      assertThat(s.loadSerial(new Oid(1), new Tid(10))).isEqualTo(Bytes.utf8("held"));
    } finally {
      kv.release.countDown();
      threads.shutdownNow();
      s.close();
    }
  }
}
