package org.zbig.server.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ByteBufferGetStatus;
import org.rocksdb.Cache;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompactionJobInfo;
import org.rocksdb.Filter;
import org.rocksdb.FlushJobInfo;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.Options;
import org.rocksdb.PerfLevel;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.zodb.error.StorageException;

/**
 * A {@link Kv} in RocksDB, in one data folder. Writes go through one atomic {@link WriteBatch} (big
 * ones through a batch kept between writes, see {@link #REUSE_MIN}); synced writes reach the
 * write-ahead log on disk before returning, so they survive {@code kill -9}. RocksDB's own lock
 * file keeps a second process from opening the folder.
 *
 * <p>Settings: values of {@value #MIN_BLOB_SIZE} bytes and more (ZBlk0 blocks, big records) are
 * kept in blob files, so compactions move pointers instead of rewriting them. RocksDB's blob
 * garbage collection is off between packs: on, every compaction rewrites the blobs of the oldest
 * quarter of the blob files, whether they hold garbage or not, and since this store's tables are
 * small, a compaction takes in all of them; a store of 3 GB rewrote 0.6-0.8 GB at each compaction.
 * Only a pack deletes values, so {@link #reclaim} (after a pack that removed a big value) turns it
 * on for one compaction of the whole store, which rewrites every blob file kept and drops the dead
 * values. Keys and small values are in tables with a 128 MiB block cache and bloom filters, which
 * answer point lookups of absent keys without reading a table. Tables and blob files are written
 * with the storage's {@link Compression} (LZ4 by default). Write-ahead log files are recycled
 * ({@link #RECYCLED_LOGS}): synced writes go into blocks written before, which costs the disk less
 * than appending.
 *
 * <p>Each thread keeps its RocksDB iterators between cursors and refreshes them to the latest state
 * when it opens the next one (a nested cursor gets a fresh iterator). An iterator pins the
 * memtables and table files of the state it was refreshed to: once a flush or compaction has
 * replaced them, the idle iterators are closed at once and one in use when it is let go, so that a
 * flushed memtable (up to 64 MiB of 2 MiB blocks) is freed when it is written out, not when its
 * last reader moves on; a reaper thread also closes those left idle for a second.
 */
final class RocksKv implements Kv {
  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;

  /** Values at least this big go to blob files: compaction moves a pointer, not 2 MiB blocks. */
  static final long MIN_BLOB_SIZE = 64 << 10;

  /**
   * Write-ahead log files kept once their memtables are flushed, and written over by the next logs
   * instead of new files: a synced write into a file's existing blocks has no size or allocation to
   * journal (on this project's reference disk, synced 2 MiB appends ran at 336 MB/s and synced 2
   * MiB overwrites at 1.5 GB/s; durable 2 MiB stores went from 157-159 to 192-203 MB/s). Each
   * record of a recycled log carries its log's number, so recovery stops where the old content
   * begins. Costs up to this many logs' worth of disk (about 64 MiB each).
   */
  static final int RECYCLED_LOGS = 4;

  /** The block cache for keys and small values (indexes and filters included). */
  static final long BLOCK_CACHE_BYTES = 128L << 20;

  private final Options options;
  private final Cache blockCache;
  private final Filter bloom;
  private final RocksDB db;
  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions plainWrite = new WriteOptions();
  private final ReadOptions unchecked = new ReadOptions().setVerifyChecksums(false);
  private final AtomicBoolean open = new AtomicBoolean(true);

  /** Held by {@link #memory} and by {@link #close} while it frees the database. */
  private final Object closing = new Object();

  /**
   * Counts the flushes and compactions done: a kept iterator refreshed before the last one pins
   * memtables or files no longer in use (see {@link Kept#epoch}).
   */
  private final AtomicLong epoch = new AtomicLong();

  /** Bumps {@link #epoch} and has the idle kept iterators closed after each flush or compaction. */
  private final AbstractEventListener replaced =
      new AbstractEventListener(
          AbstractEventListener.EnabledEventCallback.ON_FLUSH_COMPLETED,
          AbstractEventListener.EnabledEventCallback.ON_COMPACTION_BEGIN,
          AbstractEventListener.EnabledEventCallback.ON_COMPACTION_COMPLETED) {
        @Override
        public void onCompactionBegin(RocksDB db, CompactionJobInfo info) {
          Runnable hook = reclaimBegun;
          if (hook != null && reclaiming) {
            hook.run();
          }
        }

        @Override
        public void onFlushCompleted(RocksDB db, FlushJobInfo info) {
          stateReplaced();
        }

        @Override
        public void onCompactionCompleted(RocksDB db, CompactionJobInfo info) {
          stateReplaced();
        }
      };

  private volatile String writeFailure;

  @Override
  public String writeFailure() {
    return writeFailure;
  }

  RocksKv(Path dir) {
    this(dir, Compression.DEFAULT);
  }

  RocksKv(Path dir, Compression compression) {
    this(dir, compression, KEPT_IDLE_NANOS);
  }

  /**
   * As {@link #RocksKv(Path, Compression)}, closing kept iterators idle for {@code keptIdle} ns.
   */
  RocksKv(Path dir, Compression compression, long keptIdleNanos) {
    this.dir = dir;
    this.keptIdleNanos = keptIdleNanos;
    this.blockCache = new LRUCache(BLOCK_CACHE_BYTES);
    this.bloom = new BloomFilter(10, false);
    this.options =
        new Options()
            .setCreateIfMissing(true)
            .setTableFormatConfig(
                new BlockBasedTableConfig()
                    .setBlockCache(blockCache)
                    .setFilterPolicy(bloom)
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true))
            .setCompressionType(compression.rocksType())
            .setEnableBlobFiles(true)
            .setMinBlobSize(MIN_BLOB_SIZE)
            .setBlobFileSize(256L << 20)
            .setBlobCompressionType(compression.rocksType())
            .setEnableBlobGarbageCollection(false) // see reclaim()
            .setMaxBackgroundJobs(2)
            .setRecycleLogFileNum(RECYCLED_LOGS)
            .setListeners(List.of(replaced));
    try {
      this.db = RocksDB.open(options, dir.toString());
    } catch (RocksDBException e) {
      options.close();
      replaced.close();
      blockCache.close();
      bloom.close();
      String why = e.getMessage() == null ? "" : e.getMessage();
      throw new StorageException(
          "cannot open data folder "
              + dir
              + (why.contains("lock") ? " (is another server using it?)" : "")
              + ": "
              + why,
          e);
    }
    reaper.scheduleWithFixedDelay(
        () -> reap(false), keptIdleNanos, keptIdleNanos / 2, TimeUnit.NANOSECONDS);
    // once told, later opens in this process do not read their logs again
    if (!SOFTWARE_CRC_TOLD.get()
        && Boolean.FALSE.equals(fastCrc32(dir.resolve("LOG")))
        && SOFTWARE_CRC_TOLD.compareAndSet(false, true)) {
      LOG.info(
          "RocksDB's native library computes its checksums in software (it was built without SSE"
              + " 4.2): each MiB written costs about 1 ms of CPU in the write-ahead log and as much"
              + " again at flush; docs/operations.md says how to use a library built for this"
              + " machine");
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(RocksKv.class);

  /** Whether the software checksums were logged already (once per process). */
  private static final AtomicBoolean SOFTWARE_CRC_TOLD = new AtomicBoolean();

  /**
   * Whether RocksDB computes its CRC-32C checksums with the CPU's instructions, as its info log
   * {@code log} (the data folder's {@code LOG}, written at open) says; null where it does not say
   * or cannot be read. The library from Maven Central is built portable, without them: RocksDB then
   * sums every byte of its write-ahead log and blob files in software, about 1 GB/s.
   */
  static Boolean fastCrc32(Path log) {
    try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
      return lines
          .filter(l -> l.contains("Fast CRC32 supported:"))
          .findFirst()
          .map(l -> !l.contains("Not supported"))
          .orElse(null);
    } catch (IOException | UncheckedIOException e) {
      return null;
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
  public boolean contains(byte[] key) {
    return db.keyExists(key);
  }

  /** The bytes of keys one batched direct read takes at most. */
  private static final int KEY_BYTES = 64 * 1024;

  /** A direct buffer per thread for the keys of batched direct reads. */
  private static final ThreadLocal<ByteBuffer> KEYS =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(KEY_BYTES));

  @Override
  public int[] getAll(List<byte[]> keys, List<ByteBuffer> into) {
    int total = 0;
    boolean direct = true;
    for (int i = 0; i < keys.size(); i++) {
      total += keys.get(i).length;
      direct &= into.get(i).isDirect();
    }
    if (!direct || total > KEY_BYTES) {
      return Kv.super.getAll(keys, into);
    }
    ByteBuffer all = KEYS.get().clear();
    List<ByteBuffer> keyBufs = new ArrayList<>(keys.size());
    for (byte[] k : keys) {
      int at = all.position();
      all.put(k);
      keyBufs.add(all.slice(at, k.length));
    }
    List<ByteBuffer> values = new ArrayList<>(into.size());
    for (ByteBuffer b : into) {
      values.add(b.duplicate());
    }
    try {
      List<ByteBufferGetStatus> got = db.multiGetByteBuffers(unchecked, keyBufs, values);
      int[] out = new int[got.size()];
      for (int i = 0; i < out.length; i++) {
        ByteBufferGetStatus g = got.get(i);
        out[i] =
            switch (g.status.getCode()) {
              case Ok -> g.requiredSize;
              case NotFound -> -1;
              default ->
                  throw new StorageException(
                      "read failed in " + dir + ": " + g.status.getCodeString());
            };
      }
      return out;
    } catch (RocksDBException e) {
      throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes of at least this many bytes go through {@link #reused}: a batch of 64 MiB of blocks made
   * fresh for each write had its memory mapped anew by the allocator and faulted in page by page
   * while RocksDB copied the values into it, at about 350 MB/s on a VM (a third of an import's
   * write time); a batch kept between writes is copied into at memory speed.
   */
  static final long REUSE_MIN = 1 << 20;

  /** Writes bigger than this get a batch of their own, so that the one kept stays this size. */
  static final long REUSE_MAX = 128L << 20;

  /** Guards {@link #reused}; a write that finds it taken makes a batch of its own. */
  final ReentrantLock reusedLock = new ReentrantLock(); // package-private: tests hold it

  private WriteBatch reused; // made at the first big write; cleared after each

  @Override
  public void write(Map<byte[], byte[]> entries, boolean sync) {
    long bytes = 64;
    for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
      bytes += e.getKey().length + (e.getValue() == null ? 0 : e.getValue().length) + 16L;
    }
    boolean reuse = bytes >= REUSE_MIN && bytes <= REUSE_MAX && reusedLock.tryLock();
    // sized once: a batch of 64 MiB of blocks grown by doubling had copied its bytes twice more
    WriteBatch batch = null;
    try {
      if (reuse) {
        if (reused == null) {
          reused = new WriteBatch((int) bytes);
        }
        batch = reused;
      } else {
        batch = new WriteBatch((int) Math.min(bytes, Integer.MAX_VALUE - 8));
      }
      for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
        if (e.getValue() == null) {
          batch.delete(e.getKey());
        } else {
          batch.put(e.getKey(), e.getValue());
        }
      }
      db.write(sync ? syncWrite : plainWrite, batch);
    } catch (RocksDBException e) {
      String first = writeFailure;
      if (first == null) {
        // RocksDB stops taking writes after a failed write-ahead log append (a full disk, an I/O
        // error) and does not resume by itself: say so from now on, and what fixes it
        writeFailure = e.getMessage();
        throw new StorageException("write failed in " + dir + ": " + e.getMessage(), e);
      }
      throw new StorageException(
          "writes refused in "
              + dir
              + " since a write failed ("
              + first
              + "); acknowledged commits are safe and reads go on; restart the server once the"
              + " cause is fixed",
          e);
    } finally {
      if (reuse) {
        try {
          if (batch != null) {
            batch.clear(); // keeps its memory for the next big write
          }
        } finally {
          reusedLock.unlock();
        }
      } else if (batch != null) {
        batch.close();
      }
    }
  }

  /**
   * A RocksDB iterator kept by one thread between its cursors, refreshed to the latest state at
   * each use: creating and disposing of an iterator cost 13% of a small load, a refresh while the
   * table files and memtables stay the same almost nothing. {@code state} is {@link #IDLE}, {@link
   * #IN_USE} (by its thread) or {@link #CLOSED} (by the reaper or at close); only the thread moves
   * it from idle to in use, only the reaper or {@link #close} from idle to closed.
   */
  private static final class Kept {
    final RocksIterator it;
    final AtomicInteger state = new AtomicInteger(IN_USE);
    volatile long idleSince;

    /** {@link #epoch} when the iterator was made or last refreshed (read before either). */
    volatile long epoch;

    Kept(RocksIterator it, long epoch) {
      this.it = it;
      this.epoch = epoch;
    }
  }

  private static final int IDLE = 0;
  private static final int IN_USE = 1;
  private static final int CLOSED = 2;

  /** An iterator idle this long is closed, so that it keeps no obsolete table file alive. */
  static final long KEPT_IDLE_NANOS = 1_000_000_000L;

  private final long keptIdleNanos;

  private final Set<Kept> kept = ConcurrentHashMap.newKeySet();

  /**
   * Per thread, its kept iterators (unchecked, checked). Made at the thread's first cursor, which
   * also turns off RocksDB's thread-local performance counters for the thread: nothing here reads
   * them, and their lookups were 7% of a small load's time.
   */
  private final ThreadLocal<Kept[]> keptByThread = ThreadLocal.withInitial(this::firstCursor);

  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("zbig-rocks-iterators").unstarted(r));

  /** See {@link #keptByThread}. */
  private Kept[] firstCursor() {
    db.setPerfLevel(PerfLevel.DISABLE);
    return new Kept[2];
  }

  /** Closes the kept iterators idle for {@link #keptIdleNanos} (all of them if {@code all}). */
  private void reap(boolean all) {
    long now = System.nanoTime();
    kept.removeIf(k -> (all || now - k.idleSince >= keptIdleNanos) && closeIfIdle(k));
  }

  /** Closes the idle kept iterators refreshed before the last flush or compaction. */
  private void reapStale() {
    long now = epoch.get();
    kept.removeIf(k -> k.epoch != now && closeIfIdle(k));
  }

  /**
   * Closes {@code k} if it is idle, which no thread then uses: whoever moves it from idle to closed
   * (the reaper or its owner) closes it, once. Whether this call did.
   */
  private static boolean closeIfIdle(Kept k) {
    if (k.state.compareAndSet(IDLE, CLOSED)) {
      k.it.close();
      return true;
    }
    return false;
  }

  /**
   * A flush or compaction replaced memtables or table files: the idle kept iterators, which may pin
   * them, are closed on the reaper thread (not on RocksDB's, which called).
   */
  private void stateReplaced() {
    epoch.incrementAndGet();
    if (open.get()) {
      try {
        reaper.execute(this::reapStale);
      } catch (RejectedExecutionException e) {
        // closing: close() reaps them all
      }
    }
  }

  /** Writes the memtables out to files now and waits for it: for tests. */
  void flush() {
    try (FlushOptions o = new FlushOptions().setWaitForFlush(true)) {
      db.flush(o);
    } catch (RocksDBException e) {
      throw new StorageException("flush failed in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The bytes of all memtables, the flushed ones still pinned by iterators included. */
  long memtableBytes() {
    return property("rocksdb.size-all-mem-tables");
  }

  /** How many table files level {@code level} holds (for tests). */
  int filesAtLevel(int level) {
    try {
      return Integer.parseInt(db.getProperty("rocksdb.num-files-at-level" + level).trim());
    } catch (RocksDBException e) {
      throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
    }
  }

  long property(String name) { // package-private: tests read compaction counters
    try {
      return db.getLongProperty(name);
    } catch (RocksDBException e) {
      throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code memtable-bytes}: all memtables, those flushed but still pinned by readers included;
   * {@code block-cache-bytes}: the block cache's blocks (indexes and filters among them); {@code
   * table-reader-bytes}: what the open table files keep outside the cache.
   */
  @Override
  public Map<String, Long> memory() {
    synchronized (closing) { // not while close() frees the database
      if (!open.get()) {
        return Map.of();
      }
      Map<String, Long> m = new LinkedHashMap<>();
      m.put("memtable-bytes", memtableBytes());
      m.put("block-cache-bytes", blockCache.getUsage());
      m.put("table-reader-bytes", property("rocksdb.estimate-table-readers-mem"));
      return m;
    }
  }

  /** How many iterators are kept (idle or in use): for tests. */
  int keptIterators() {
    return kept.size();
  }

  /** This thread's kept iterator, refreshed; null if it is in use already (a nested cursor). */
  private Kept take(boolean checked) {
    Kept[] mine = keptByThread.get();
    int i = checked ? 1 : 0;
    Kept k = mine[i];
    if (k != null && k.state.compareAndSet(IDLE, IN_USE)) {
      try {
        k.epoch = epoch.get();
        k.it.refresh();
        return k;
      } catch (RocksDBException e) {
        k.state.set(CLOSED);
        kept.remove(k);
        k.it.close();
        throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
      }
    }
    if (k != null && k.state.get() == IN_USE) {
      return null;
    }
    long now = epoch.get();
    k = new Kept(newIterator(checked), now);
    mine[i] = k;
    kept.add(k);
    return k;
  }

  private RocksIterator newIterator(boolean checked) {
    return checked ? db.newIterator() : db.newIterator(unchecked);
  }

  @Override
  public Cursor cursor(boolean checked) {
    Kept k = take(checked);
    RocksIterator it = k != null ? k.it : newIterator(checked);
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
      public int value(ByteBuffer into) {
        return into.isDirect() ? it.value(into) : Cursor.super.value(into);
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
        if (k == null) {
          it.close();
        } else {
          k.idleSince = System.nanoTime();
          k.state.set(IDLE);
          // set idle before the epoch is read: a flush done since either sees it idle and has it
          // closed, or is seen here
          if (k.epoch != epoch.get() && closeIfIdle(k)) {
            kept.remove(k);
          }
        }
      }
    };
  }

  /**
   * Whether {@link #reclaim} is compacting, and whether {@link #close} has begun: each sets its own
   * flag before it reads the other's, so that a close either sees the reclaim and stops it or is
   * seen by it before its compaction starts.
   */
  private volatile boolean reclaiming;

  private volatile boolean stopping;

  /** Held by {@link #reclaim}; {@link #close} takes it, after stopping the compaction, to wait. */
  private final Object reclaimLock = new Object();

  /** Whether {@link #close} has begun (for tests). */
  boolean stopping() {
    return stopping;
  }

  /** For tests: runs on RocksDB's thread as a compaction begins while {@link #reclaim} runs. */
  volatile Runnable reclaimBegun;

  /**
   * Gives back the disk space of deleted values: one compaction of the whole store, blob garbage
   * collection on for it, so that every blob file is rewritten without its dead values (as a
   * FileStorage pack copies its file), then writes {@code then}. Waits for the compaction; a {@link
   * #close} meanwhile stops it, and {@code then} is not written (the caller's mark that space is
   * still to come back stays).
   *
   * @return whether the compaction ran to its end
   */
  @Override
  public boolean reclaim(Map<byte[], byte[]> then) {
    synchronized (reclaimLock) { // close() waits for it (not holding `closing`: memory() goes on)
      reclaiming = true;
      if (!open.get() || stopping) {
        reclaiming = false;
        return false;
      }
      try (CompactRangeOptions o =
          new CompactRangeOptions()
              .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
        db.setOptions(blobGc(true));
        try {
          db.compactRange(db.getDefaultColumnFamily(), null, null, o);
        } finally {
          db.setOptions(blobGc(false));
        }
        write(then, true); // under reclaimLock: close() waits, the store is still open
        return true;
      } catch (RocksDBException e) {
        LOG.warn("giving the space of deleted values back stopped: {}", e.getMessage());
        return false;
      } finally {
        reclaiming = false;
      }
    }
  }

  private static MutableColumnFamilyOptions blobGc(boolean on) {
    return MutableColumnFamilyOptions.builder()
        .setEnableBlobGarbageCollection(on)
        .setBlobGarbageCollectionAgeCutoff(on ? 1.0 : 0.25)
        .build();
  }

  @Override
  public void close() {
    stopping = true;
    if (reclaiming) {
      db.cancelAllBackgroundWork(true); // ends reclaim()'s compaction
    }
    synchronized (reclaimLock) {
      // a reclaim under way has returned; a later one sees `stopping`
    }
    synchronized (closing) {
      closeOnce();
    }
  }

  private void closeOnce() {
    if (open.compareAndSet(true, false)) {
      reaper.shutdownNow();
      reap(true);
      db.close();
      reusedLock.lock();
      try {
        if (reused != null) {
          reused.close();
          reused = null;
        }
      } finally {
        reusedLock.unlock();
      }
      syncWrite.close();
      plainWrite.close();
      unchecked.close();
      options.close();
      replaced.close();
      blockCache.close();
      bloom.close();
    }
  }
}
