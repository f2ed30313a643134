package org.zbig.server.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.zbig.zodb.error.StorageException;

/**
 * RocksDB storages with faults injected at the store under them (a {@link Kv} wrapper, as Lucene's
 * {@code MockDirectoryWrapper} wraps a directory): writes that fail before reaching the store or
 * after it applied them (a sync that failed), and reads of chosen keys that fail. For tests of what
 * the server does when the disk misbehaves.
 */
public final class FaultyStores {
  private FaultyStores() {}

  /** What to break; changed by the test while the server runs. */
  public static final class Faults {
    final AtomicInteger failWrites = new AtomicInteger();
    volatile boolean afterApplying;
    volatile byte[] failReadsOf; // the oid's 8 bytes: reads of its revisions fail
    volatile boolean stopReclaims;

    /** No faults yet. */
    public Faults() {}

    /**
     * The next {@code n} writes fail: before reaching the store, or, {@code afterApplying}, once
     * the store holds them (as a sync that fails after the write went through).
     */
    public void failNextWrites(int n, boolean afterApplying) {
      this.afterApplying = afterApplying;
      failWrites.set(n);
    }

    /**
     * Whether reclaims stop before they begin, as a close stops them (the store's space and the
     * caller's mark stay as they are).
     */
    public void stopReclaims(boolean stop) {
      stopReclaims = stop;
    }

    /** Reads of the revisions of the object with these 8 oid bytes fail (null: none). */
    public void failReadsOf(byte[] oid) {
      failReadsOf = oid == null ? null : oid.clone();
    }
  }

  /** A RocksDB storage in {@code dir} whose store fails as {@code faults} says. */
  public static KvStorage rocks(Path dir, Faults faults) {
    return KvStorage.over(
        new FaultyKv(new RocksKv(dir), faults), dir.getFileName().toString(), dir.resolve("blobs"));
  }

  private static final class FaultyKv implements Kv {
    private final Kv real;
    private final Faults faults;

    FaultyKv(Kv real, Faults faults) {
      this.real = real;
      this.faults = faults;
    }

    private boolean failThisWrite() {
      return faults.failWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    @Override
    public byte[] get(byte[] key) {
      check(key);
      return real.get(key);
    }

    private void check(byte[] key) {
      byte[] oid = faults.failReadsOf;
      if (oid != null
          && key.length == 17
          && key[0] == KvStorage.REVISION
          && Arrays.equals(key, 1, 9, oid, 0, 8)) {
        throw new StorageException("Input/output error (injected) reading a revision");
      }
    }

    @Override
    public void write(Map<byte[], byte[]> entries, boolean sync) {
      if (failThisWrite()) {
        if (faults.afterApplying) {
          real.write(entries, sync);
          throw new StorageException("sync failed (injected): Input/output error");
        }
        throw new StorageException("write failed (injected): Input/output error");
      }
      real.write(entries, sync);
    }

    @Override
    public boolean reclaim(Map<byte[], byte[]> then) {
      return !faults.stopReclaims && real.reclaim(then);
    }

    @Override
    public Cursor cursor(boolean checked) {
      Cursor c = real.cursor(checked);
      return new Cursor() {
        @Override
        public void seek(byte[] key) {
          c.seek(key);
        }

        @Override
        public void seekForPrev(byte[] key) {
          c.seekForPrev(key);
        }

        @Override
        public boolean valid() {
          return c.valid();
        }

        @Override
        public byte[] key() {
          return c.key();
        }

        @Override
        public byte[] value() {
          check(c.key());
          return c.value();
        }

        @Override
        public int value(ByteBuffer into) {
          check(c.key());
          return c.value(into);
        }

        @Override
        public void next() {
          c.next();
        }

        @Override
        public void prev() {
          c.prev();
        }

        @Override
        public void close() {
          c.close();
        }
      };
    }

    @Override
    public String writeFailure() {
      return real.writeFailure();
    }

    @Override
    public void close() {
      real.close();
    }
  }
}
