package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;

/**
 * The newest revisions that loads remember (a point lookup for the next load of the same oid) are
 * never served once a newer one is visible or a pack removed them, including a load that ran while
 * a commit's write had landed in the store but the commit was not visible yet.
 */
class CurrentRevisionsTest {
  @TempDir Path dir;

  private static final Oid A = new Oid(1);
  private static final Oid B = new Oid(2);

  /** A store whose writes, once armed, wait after landing until the test lets them return. */
  private static final class GatedKv implements Kv {
    final Kv real;
    volatile CountDownLatch landed;
    volatile CountDownLatch release;

    GatedKv(Kv real) {
      this.real = real;
    }

    void arm() {
      landed = new CountDownLatch(1);
      release = new CountDownLatch(1);
    }

    @Override
    public byte[] get(byte[] key) {
      return real.get(key);
    }

    @Override
    public void write(Map<byte[], byte[]> entries, boolean sync) {
      real.write(entries, sync);
      CountDownLatch l = landed;
      CountDownLatch r = release;
      if (l != null) {
        landed = null;
        l.countDown();
        try {
          assertThat(r.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public Cursor cursor(boolean checked) {
      return real.cursor(checked);
    }

    @Override
    public void close() {
      real.close();
    }
  }

  private static Bytes load(KvStorage s, Oid oid) {
    return s.loadBefore(oid, Tid.MAX).orElseThrow().data();
  }

  @Test
  void aNewerVisibleRevisionIsServedAtOnce() {
    try (KvStorage s = KvStorage.rocks(dir.resolve("data"))) {
      for (int t = 1; t <= 50; t++) {
        s.commit(
            new Tid(t),
            StorageContract.META,
            t % 3 == 0
                ? List.of(Write.data(B, Bytes.utf8("b" + t)))
                : List.of(Write.data(A, Bytes.utf8("a" + t)), Write.data(B, Bytes.utf8("b" + t))));
        int newestA = t % 3 == 0 ? t - 1 : t;
        for (int i = 0; i < 3; i++) { // the second and third from what the first remembered
          assertThat(load(s, A)).isEqualTo(Bytes.utf8("a" + newestA));
          assertThat(load(s, B)).isEqualTo(Bytes.utf8("b" + t));
          assertThat(s.loadBefore(A, Tid.MAX).orElseThrow().start()).isEqualTo(new Tid(newestA));
        }
      }
    }
  }

  @Test
  void aLoadDuringACommitsWriteDoesNotHideTheCommitOnceVisible() throws Exception {
    GatedKv kv = new GatedKv(new RocksKv(dir.resolve("data")));
    try (KvStorage s = KvStorage.over(kv, "data", dir.resolve("blobs"))) {
      s.commit(new Tid(1), StorageContract.META, List.of(Write.data(A, Bytes.utf8("old"))));
      kv.arm();
      CountDownLatch landed = kv.landed;
      CompletableFuture<Void> commit =
          CompletableFuture.runAsync(() ->
              s.commit(
                  new Tid(2), StorageContract.META, List.of(Write.data(A, Bytes.utf8("new")))));
      assertThat(landed.await(10, TimeUnit.SECONDS)).isTrue();
      // the write is in the store, the commit not visible: loads still see the old revision
      assertThat(load(s, A)).isEqualTo(Bytes.utf8("old"));
      assertThat(load(s, A)).isEqualTo(Bytes.utf8("old"));
      kv.release.countDown();
      commit.get(10, TimeUnit.SECONDS);
      assertThat(load(s, A)).isEqualTo(Bytes.utf8("new"));
      assertThat(s.loadBefore(A, Tid.MAX).orElseThrow().start()).isEqualTo(new Tid(2));
    }
  }

  @Test
  void anObjectPackedAwayIsNotServedFromMemory() {
    Path data = dir.resolve("data");
    KvStorage s = KvStorage.rocks(data);
    try {
      s.commit(
          new Tid(10),
          StorageContract.META,
          List.of(
              Write.data(Oid.ROOT, StorageContract.mapping("r1", A)),
              Write.data(A, StorageContract.mapping("a1"))));
      s.commit(
          new Tid(20),
          StorageContract.META,
          List.of(Write.data(Oid.ROOT, StorageContract.mapping("r2"))));
      assertThat(load(s, A)).isEqualTo(StorageContract.mapping("a1")); // remembered
      assertThat(load(s, A)).isEqualTo(StorageContract.mapping("a1"));
      s.pack(new Tid(25), true); // A is no longer reachable
      assertThatThrownBy(() -> s.loadBefore(A, Tid.MAX)).isInstanceOf(NoSuchObjectException.class);
    } finally {
      s.close();
    }
    try (KvStorage reopened = KvStorage.rocks(data)) { // nothing remembered: what the store holds
      assertThatThrownBy(() -> reopened.loadBefore(A, Tid.MAX))
          .isInstanceOf(NoSuchObjectException.class);
    }
  }
}
