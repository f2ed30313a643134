package org.zbig.server.storage;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.zbig.zodb.error.StorageException;

/**
 * A {@link Kv} in RocksDB, in one data folder. Writes go through one atomic {@link WriteBatch};
 * synced writes reach the write-ahead log on disk before returning, so they survive {@code kill
 * -9}. RocksDB's own lock file keeps a second process from opening the folder.
 */
final class RocksKv implements Kv {
  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final Options options;
  private final RocksDB db;
  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions plainWrite = new WriteOptions();
  private final AtomicBoolean open = new AtomicBoolean(true);

  RocksKv(Path dir) {
    this.dir = dir;
    this.options = new Options().setCreateIfMissing(true);
    try {
      this.db = RocksDB.open(options, dir.toString());
    } catch (RocksDBException e) {
      options.close();
      String why = e.getMessage() == null ? "" : e.getMessage();
      throw new StorageException(
          "cannot open data folder "
              + dir
              + (why.contains("lock") ? " (is another server using it?)" : "")
              + ": "
              + why,
          e);
    }
  }

  @Override
  public byte[] get(byte[] key) {
    try {
      return db.get(key);
    } catch (RocksDBException e) {
      throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void write(Map<byte[], byte[]> entries, boolean sync) {
    try (WriteBatch batch = new WriteBatch()) {
      for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
        if (e.getValue() == null) {
          batch.delete(e.getKey());
        } else {
          batch.put(e.getKey(), e.getValue());
        }
      }
      db.write(sync ? syncWrite : plainWrite, batch);
    } catch (RocksDBException e) {
      throw new StorageException("write failed in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Cursor cursor() {
    RocksIterator it = db.newIterator();
    return new Cursor() {
      @Override
      public void seek(byte[] key) {
        it.seek(key);
      }

      @Override
      public void seekForPrev(byte[] key) {
        it.seekForPrev(key);
      }

      @Override
      public boolean valid() {
        return it.isValid();
      }

      @Override
      public byte[] key() {
        return it.key();
      }

      @Override
      public byte[] value() {
        return it.value();
      }

      @Override
      public void next() {
        it.next();
      }

      @Override
      public void prev() {
        it.prev();
      }

      @Override
      public void close() {
        it.close();
      }
    };
  }

  @Override
  public void close() {
    if (open.compareAndSet(true, false)) {
      db.close();
      syncWrite.close();
      plainWrite.close();
      options.close();
    }
  }
}
