package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

class CurrentRecordsTest {
  private static CurrentRecords.Entry entry(int bytes) {
    return new CurrentRecords.Entry(new Tid(7), Bytes.wrap(new byte[bytes]));
  }

  @Test
  void keepsAtMostTheBudgetInBytesAndNoRecordOverASixteenthOfIt() {
    CurrentRecords c = new CurrentRecords(16_000);
    c.put(new Oid(1), entry(1_001), () -> true);
    assertThat(c.get(new Oid(1))).isNull();
    for (int i = 0; i < 100; i++) {
      c.put(new Oid(i), entry(1_000), () -> true);
    }
    long[] stats = c.stats();
    assertThat(stats[1]).isLessThanOrEqualTo(16_000).isGreaterThan(0);
    assertThat(stats[0]).isEqualTo(stats[1] / 1_000);
  }

  @Test
  void aLoadThatIsNoLongerCurrentIsNotKept() {
    CurrentRecords c = new CurrentRecords(1 << 20);
    c.put(new Oid(1), entry(10), () -> false);
    assertThat(c.get(new Oid(1))).isNull();
    c.put(new Oid(1), entry(10), () -> true);
    assertThat(c.get(new Oid(1))).isNotNull();
    c.invalidate(List.of(new Oid(1)));
    assertThat(c.get(new Oid(1))).isNull();
    assertThat(c.stats()[2]).isEqualTo(1);
    assertThat(c.stats()[3]).isEqualTo(2);
  }

  @Test
  void anInvalidationDuringAPutsCheckWaitsAndWins() throws Exception {
    CurrentRecords c = new CurrentRecords(1 << 20);
    Oid oid = new Oid(3);
    CountDownLatch checking = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> put =
        CompletableFuture.runAsync(() ->
            c.put(
                oid,
                entry(10),
                () -> {
                  checking.countDown();
                  try {
                    return release.await(10, TimeUnit.SECONDS); // still current when checked
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                  }
                }));
    assertThat(checking.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> invalidation =
        CompletableFuture.runAsync(() -> c.invalidate(List.of(oid)));
    // the invalidation cannot pass the put that is checking
    Thread.sleep(100);
    assertThat(invalidation).isNotDone();
    assertThat(c.get(oid)).isNull(); // lookups do not wait
    release.countDown();
    put.get(10, TimeUnit.SECONDS);
    invalidation.get(10, TimeUnit.SECONDS);
    assertThat(c.get(oid)).isNull();
  }
}
