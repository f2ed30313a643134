package org.zbig.server.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.error.UndoException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.References;
import org.zbig.zodb.storage.CurrentRecord;
import org.zbig.zodb.storage.LoadResult;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * The {@link Storage} over an ordered key-value store. Layout (all numbers big-endian):
 *
 * <ul>
 *   <li>{@code 'r' oid tid} → a revision: {@code 3} + a CRC-32C of {@code oid ‖ tid ‖ data} + data,
 *       {@code 1} + the tid whose data it reuses, or {@code 2} (deleted); {@code 0} + data (no
 *       checksum of its own) is what databases written before checksums hold, still read. {@code
 *       loadBefore} is one {@code seekForPrev}, its end tid the next key.
 *   <li>{@code 't' tid} → the transaction: a pickle of {@code (status, user, description,
 *       extension, [oid, ...], size)}.
 *   <li>{@code 'm' name} → counters: last tid, highest oid, object count, data size, packed-up-to
 *       tid.
 * </ul>
 *
 * Blobs are files in {@code blobs/} next to the key-value store, in ZODB's bushy layout ({@link
 * BlobFolder}); a revision that is a back-pointer shares the blob of the revision it points to.
 *
 * <p>Checksums: RocksDB checks its own on every read, in software, at about 1 GB/s: two thirds of
 * the time of serving a 2 MiB block. So {@code loadBefore} reads without them and checks the
 * record's own CRC-32C instead (a CPU instruction, tens of GB/s); it also covers the key, so a
 * record served under a damaged key fails too. Anything else that read (a back-pointer, a deletion,
 * a record without a checksum) is read again with RocksDB's checks. A mismatch is a {@link
 * CorruptRecordException} naming oid and tid. A database begun before checksums (no {@code 'm' 'f'}
 * key) keeps RocksDB's checks on every read; its new revisions are summed all the same.
 *
 * <p>A commit moves its blob files into place, writes one atomic, synced batch, then publishes the
 * new last tid; readers never see half a transaction because they only read revisions whose tid is
 * at most the published one.
 */
public final class KvStorage implements Storage {
  private static final Logger LOG = LoggerFactory.getLogger(KvStorage.class);
  static final byte REVISION = 'r';
  private static final byte TXN = 't';
  private static final byte META = 'm';
  private static final byte DATA = 0;
  private static final byte BACK_POINTER = 1;
  private static final byte DELETED = 2;
  private static final byte DATA_SUMMED = 3;
  private static final byte CHUNKED = 4;
  private static final int SUMMED_HEADER = 5;
  private static final int CHUNKED_HEADER = 13; // kind, CRC-32C, length, head length

  /** The first byte of a chunk's key. */
  static final byte CHUNK = 'c';

  private static final byte[] LAST_TID = {META, 'l'};
  private static final byte[] MAX_OID = {META, 'o'};
  private static final byte[] OIDS_RESERVED = {META, 'r'}; // oids up to it may have been handed out
  private static final byte[] COUNT = {META, 'c'};
  private static final byte[] SIZE = {META, 's'};
  private static final byte[] PACKED = {META, 'p'};
  private static final byte[] SUMMED = {META, 'f'}; // present: every data revision is summed
  private static final byte[] CHUNK_BYTES = {META, 'k'}; // bytes of the distinct chunks stored
  private static final byte[] CHUNKED_BYTES = {META, 'd'}; // bytes of records held in chunks
  // present: a pack removed values kept in RocksDB's blob files, whose space is not back yet
  private static final byte[] RECLAIM = {META, 'g'};
  private static final int BATCH = 10_000;

  private final Kv kv;
  private final String name;
  private final Path blobs;
  private final boolean ownBlobs;
  private final boolean summed; // all data carries its checksum: loads skip the store's checks
  private final Object packing = new Object();

  /**
   * Whether a pack removed a value kept in a blob file whose space has not come back yet (written
   * under packing, read by the status page without waiting for a pack); stored as {@link #RECLAIM},
   * so that a reclaim a close stopped goes on after the next open.
   */
  private volatile boolean reclaimPending;

  private volatile Tid last;
  private volatile Tid packed;
  private volatile long maxOid; // the highest oid stored, written under this
  private final OidBlocks oids;
  private long count;
  private long size;
  private volatile boolean dedup; // off by default: see docs/dedup.md for the figures
  private long chunkBytes; // guarded by this
  private long chunkedBytes; // guarded by this
  private Set<ByteBuffer> packLive; // guarded by this: chunks commits used while a pack sweeps

  /** A storage over {@code kv} (tests put a fault-injecting store under it). */
  static KvStorage over(Kv kv, String name, Path blobs) {
    return new KvStorage(kv, name, blobs, false).reclaimLeftOver();
  }

  private KvStorage(Kv kv, String name, Path blobs, boolean ownBlobs) {
    this.kv = kv;
    this.name = name;
    this.blobs = blobs;
    this.ownBlobs = ownBlobs;
    try {
      BlobFolder.prepare(blobs);
    } catch (StorageException e) {
      kv.close();
      throw e;
    }
    this.last = new Tid(readLong(LAST_TID));
    this.packed = new Tid(readLong(PACKED));
    this.maxOid = readLong(MAX_OID);
    this.oids =
        new OidBlocks(
            new OidBlocks.Marks() {
              @Override
              public long reserve(long from, long take) {
                long mark = from + take;
                // not through write(Map, boolean): no revision changes, cached lookups stay valid
                kv.write(Map.of(OIDS_RESERVED, longBytes(mark)), true);
                return mark;
              }

              @Override
              public void giveBack(long keep, long end) {
                kv.write(Map.of(OIDS_RESERVED, longBytes(keep)), true);
              }
            },
            readLong(OIDS_RESERVED));
    this.count = readLong(COUNT);
    this.size = readLong(SIZE);
    this.chunkBytes = readLong(CHUNK_BYTES);
    this.chunkedBytes = readLong(CHUNKED_BYTES);
    if (kv.get(SUMMED) == null && last.value() == 0 && maxOid == 0 && !hasRevisions()) {
      write(Map.of(SUMMED, new byte[] {1}), true); // a new database: summed from the start
    }
    this.summed = kv.get(SUMMED) != null;
    this.reclaimPending = kv.get(RECLAIM) != null;
  }

  /**
   * Gives back, on a thread of its own, the space of values that a pack removed before the store
   * was last closed, if closing had stopped its reclaim: that pack's caller had its answer, and the
   * space would otherwise wait for the next pack that removes a big value.
   */
  private KvStorage reclaimLeftOver() {
    if (reclaimPending) {
      Thread.ofPlatform()
          .daemon()
          .name("zbig-reclaim-" + name)
          .start(() -> {
            synchronized (packing) {
              if (reclaimPending) {
                LOG.info("{}: giving back the space of values an earlier pack removed", name);
                reclaim();
              }
            }
          });
    }
    return this;
  }

  /**
   * Gives back the space of the big values packs removed (see {@link Kv#reclaim}); the mark goes
   * once it is done. Under packing.
   */
  private void reclaim() {
    long start = System.nanoTime();
    if (kv.reclaim(Collections.singletonMap(RECLAIM, null))) { // the mark deleted once done
      reclaimPending = false;
      LOG.info(
          "{}: space of removed values given back in {} ms",
          name,
          (System.nanoTime() - start) / 1_000_000);
    }
  }

  /**
   * Whether the disk space of big values that a pack removed is still to come back: the pack's
   * reclaim runs, or a close stopped it and it runs again after the next open.
   */
  public boolean reclaimPending() {
    return reclaimPending;
  }

  /** A storage in memory, empty. */
  public static KvStorage inMemory() {
    try {
      return new KvStorage(
          new MemoryKv(), "memory", Files.createTempDirectory("zbig-memory-blobs"), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary blob folder", e);
    }
  }

  /** A storage in RocksDB in {@code dir}, created if missing, compressed as by default. */
  public static KvStorage rocks(Path dir) {
    return rocks(dir, Compression.DEFAULT);
  }

  /** A storage in RocksDB in {@code dir}, created if missing, writing with {@code compression}. */
  public static KvStorage rocks(Path dir, Compression compression) {
    RocksKv kv = new RocksKv(dir, compression);
    return new KvStorage(kv, dir.getFileName().toString(), dir.resolve("blobs"), false)
        .reclaimLeftOver();
  }

  /** The store under this storage (tests read RocksDB's properties through it). */
  Kv kv() {
    return kv;
  }

  /**
   * Whether new big records are stored as deduplicated chunks ({@link Chunks}; off by default:
   * reads of chunked records cost up to 1.5x those of whole ones); records already stored are read
   * either way.
   */
  public KvStorage dedup(boolean on) {
    this.dedup = on;
    return this;
  }

  /**
   * What dedup saves: the bytes of the data revisions hold (logical), and what is stored for them
   * (revisions cut into chunks count their head, tail and chunk names, plus each distinct chunk
   * once).
   *
   * @param logical the bytes of all data revisions kept
   * @param stored the bytes stored for them
   */
  public record DedupStats(long logical, long stored) {
    /** logical / stored: 1 without dedup. */
    public double ratio() {
      return stored == 0 ? 1 : (double) logical / stored;
    }
  }

  private volatile long[] diskBytes = {0, -1}; // {when (nanoTime), bytes}

  /**
   * The bytes the storage's files take on disk (its RocksDB folder with its blob files), measured
   * at most every 5 s; -1 for a storage in memory.
   */
  public long diskBytes() {
    if (ownBlobs) {
      return -1;
    }
    long[] d = diskBytes;
    long now = System.nanoTime();
    if (d[1] < 0 || now - d[0] > 5_000_000_000L) {
      long sum = 0;
      try (var files = Files.walk(blobs.getParent())) {
        for (Path f : (Iterable<Path>) files::iterator) {
          try {
            if (Files.isRegularFile(f)) {
              sum += Files.size(f);
            }
          } catch (IOException gone) {
            // removed meanwhile (a compaction, a pack)
          }
        }
      } catch (IOException | UncheckedIOException e) {
        return d[1];
      }
      diskBytes = d = new long[] {now, sum};
    }
    return d[1];
  }

  /** What the key-value store holds in memory, by part ({@code memtable-bytes} and so on). */
  public Map<String, Long> memory() {
    return kv.memory();
  }

  /** What dedup saves now. */
  public synchronized DedupStats dedupStats() {
    long hashes = chunkedBytes / Chunks.CHUNK * Chunks.HASH;
    return new DedupStats(size, size - chunkedBytes + hashes + chunkBytes);
  }

  private boolean hasRevisions() {
    try (Kv.Cursor c = kv.cursor()) {
      c.seek(new byte[] {REVISION});
      return c.valid() && c.key()[0] == REVISION;
    }
  }

  private long readLong(byte[] key) {
    byte[] v = kv.get(key);
    return v == null ? 0 : ByteBuffer.wrap(v).getLong();
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static byte[] revKey(Oid oid, long tid) {
    return ByteBuffer.allocate(17).put(REVISION).putLong(oid.value()).putLong(tid).array();
  }

  private static byte[] txnKey(long tid) {
    return ByteBuffer.allocate(9).put(TXN).putLong(tid).array();
  }

  private static boolean isRevisionOf(byte[] key, Oid oid) {
    return key.length == 17
        && key[0] == REVISION
        && ByteBuffer.wrap(key, 1, 8).getLong() == oid.value();
  }

  private static long tidOf(byte[] key) {
    return ByteBuffer.wrap(key, key.length - 8, 8).getLong();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Tid lastTransaction() {
    return last;
  }

  /**
   * Why this storage refuses commits since a commit's write failed, or null. After a failed write
   * the store may or may not hold the batch (a sync that failed after the write reached it): the
   * failed transaction stays invisible (reads stop at {@link #lastTransaction}), and no later
   * commit may move the visible end past it, so commits are refused until a restart, which finds
   * the transaction either whole or absent.
   */
  private volatile String failedWrite;

  @Override
  public Optional<String> writeFailure() {
    String k = kv.writeFailure();
    return Optional.ofNullable(k != null ? k : failedWrite);
  }

  @Override
  public Optional<LoadResult> loadBefore(Oid oid, Tid before) {
    return loadBefore(oid, before, null);
  }

  /** A small direct buffer per thread: the first bytes and the length of a value. */
  private static final ThreadLocal<ByteBuffer> PROBE =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CHUNKED_HEADER));

  /**
   * As {@link #loadBefore(Oid, Tid)}; a summed record of {@link DirectBuffers#MIN} bytes or more is
   * read straight into a buffer of {@code lease} (one copy out of RocksDB, none on the heap).
   */
  @Override
  public Optional<LoadResult> loadBefore(Oid oid, Tid before, DirectBuffers.Lease lease) {
    try {
      return read(oid, before, lease);
    } catch (StorageException e) {
      if (e instanceof NoSuchObjectException || e instanceof CorruptRecordException) {
        throw e;
      }
      // a failing store (an I/O error): the client learns which record it could not have
      throw new StorageException(
          "cannot read oid " + oid.toHex() + " before " + before.toHex() + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * The newest revision of an oid as the reverse seek of a load found it: its tid, with the number
   * of writes to the store and the last visible tid when it was found, and for a small record the
   * load's result itself. It is used (the result, or a point lookup instead of the seek: the seek
   * was 35% of the server's time per small load, the point lookup 29%) only while both are
   * unchanged: any write to the store (a commit, a pack) and any commit made visible leave it
   * unused.
   */
  private record Current(long tid, long writes, long visible, LoadResult result) {
    /** The bytes of data it holds (a small record's, with {@code result}; else none). */
    long bytes() {
      return result == null ? 0 : result.data().length();
    }
  }

  /** At most this many oids have a {@link Current} (all are dropped when it is reached). */
  static final int CURRENT_MAX = 1 << 16;

  /** Records up to this size are kept with their {@link Current}: the load is then a map lookup. */
  static final int CURRENT_DATA_MAX = 16 << 10;

  /** The data kept with {@link Current}s stays under this many bytes (all dropped when reached). */
  static final long CURRENT_BYTES = 32L << 20;

  private final Map<Long, Current> current = new ConcurrentHashMap<>();
  private final AtomicLong currentBytes = new AtomicLong();

  /** Remembers {@code oid}'s newest revision, with its result when it is small. */
  private void remember(Oid oid, long tid, long writesSeen, long visible, LoadResult result) {
    Current c =
        new Current(
            tid, writesSeen, visible, result.data().length() <= CURRENT_DATA_MAX ? result : null);
    if (current.size() >= CURRENT_MAX || currentBytes.addAndGet(c.bytes()) > CURRENT_BYTES) {
      current.clear();
      currentBytes.set(c.bytes());
    }
    Current old = current.put(oid.value(), c);
    if (old != null) {
      currentBytes.addAndGet(-old.bytes());
    }
  }

  /** Writes to the store made so far, counted once each has landed. */
  private final AtomicLong writes = new AtomicLong();

  /** Writes {@code entries} to the store and counts the write (see {@link Current}). */
  private void write(Map<byte[], byte[]> entries, boolean sync) {
    try {
      kv.write(entries, sync);
    } finally {
      writes.incrementAndGet();
    }
  }

  /** The newest visible revision of {@code oid} by a point lookup, or null where not known. */
  private LoadResult readCurrent(Oid oid, long writesSeen, long visible) {
    Current cur = current.get(oid.value());
    if (cur == null || cur.writes() != writesSeen || cur.visible() != visible) {
      return null;
    }
    if (cur.result() != null) {
      return cur.result();
    }
    byte[] value = kv.get(revKey(oid, cur.tid()));
    if (value == null || value.length == 0 || value[0] == DELETED) {
      return null; // packed away meanwhile: the seek says what there is
    }
    return new LoadResult(data(oid, cur.tid(), value), new Tid(cur.tid()), null);
  }

  private Optional<LoadResult> read(Oid oid, Tid before, DirectBuffers.Lease lease) {
    long writesSeen = writes.get(); // before visible: see Current
    long visible = last.value();
    long upTo =
        Long.compareUnsigned(before.value() - 1, visible) < 0 ? before.value() - 1 : visible;
    if (upTo == visible && before.value() != 0) {
      LoadResult known = readCurrent(oid, writesSeen, visible);
      if (known != null) {
        return Optional.of(known);
      }
    }
    try (Kv.Cursor c = kv.cursor(!summed)) {
      if (before.value() != 0) {
        c.seekForPrev(revKey(oid, upTo));
      }
      if (before.value() == 0 || !c.valid() || !isRevisionOf(c.key(), oid)) {
        c.seek(revKey(oid, 0));
        if (c.valid()
            && isRevisionOf(c.key(), oid)
            && Long.compareUnsigned(tidOf(c.key()), visible) <= 0) {
          return Optional.empty();
        }
        throw new NoSuchObjectException(oid);
      }
      long start = tidOf(c.key());
      Bytes direct = null;
      if (lease != null && summed) {
        ByteBuffer probe = PROBE.get().clear();
        int n = c.value(probe);
        if (n >= DirectBuffers.MIN && n >= SUMMED_HEADER && probe.get(0) == DATA_SUMMED) {
          ByteBuffer into = lease.take(n);
          c.value(into);
          direct = checked(oid, start, into);
        } else if (n >= CHUNKED_HEADER && probe.get(0) == CHUNKED) {
          int total = probe.getInt(5);
          if (total >= DirectBuffers.MIN) {
            ByteBuffer into = lease.take(total);
            assemble(oid, start, c.value(), into);
            direct = Bytes.view(MemorySegment.ofBuffer(into));
          }
        }
      }
      byte[] value = direct != null ? null : c.value();
      if (direct == null
          && summed
          && (value.length == 0 || (value[0] != DATA_SUMMED && value[0] != CHUNKED))) {
        value = kv.get(c.key()); // read without checks: only a summed record vouches for itself
        if (value == null) {
          throw new NoSuchObjectException(oid); // packed away since the cursor's snapshot
        }
        if (value.length == 0) {
          throw new CorruptRecordException(oid, new Tid(start), "empty revision value", null);
        }
      }
      if (direct == null && value[0] == DELETED) {
        throw new NoSuchObjectException(oid);
      }
      Bytes data = direct != null ? direct : data(oid, start, value);
      if (upTo == visible) {
        // the newest visible revision: a later one, if any, is not visible yet (the common case,
        // loadBefore(oid, MAX), needs no second step)
        LoadResult found = new LoadResult(data, new Tid(start), null);
        if (direct == null && value.length < DirectBuffers.MIN && value[0] != CHUNKED) {
          remember(oid, start, writesSeen, visible, found);
        }
        return Optional.of(found);
      }
      c.next();
      Tid end =
          c.valid()
                  && isRevisionOf(c.key(), oid)
                  && Long.compareUnsigned(tidOf(c.key()), visible) <= 0
              ? new Tid(tidOf(c.key()))
              : null;
      return Optional.of(new LoadResult(data, new Tid(start), end));
    }
  }

  /** The value of a revision holding {@code data}: kind, checksum, data. */
  private static byte[] dataValue(Oid oid, long tid, Bytes data) {
    int n = data.length();
    byte[] value = new byte[SUMMED_HEADER + n];
    value[0] = DATA_SUMMED;
    data.segment().asByteBuffer().get(0, value, SUMMED_HEADER, n);
    ByteBuffer.wrap(value, 1, 4).putInt(checksum(oid, tid, ByteBuffer.wrap(value)));
    return value;
  }

  /** The CRC-32C of oid ‖ tid ‖ the data of a summed value. */
  private static int checksum(Oid oid, long tid, ByteBuffer value) {
    return checksumOfData(oid, tid, value.duplicate().position(SUMMED_HEADER));
  }

  /** The CRC-32C of oid ‖ tid ‖ data (the buffer's remaining bytes). */
  private static int checksumOfData(Oid oid, long tid, ByteBuffer data) {
    CRC32C crc = new CRC32C();
    crc.update(ByteBuffer.allocate(16).putLong(oid.value()).putLong(tid).flip());
    crc.update(data.duplicate());
    return (int) crc.getValue();
  }

  /**
   * The value of a revision holding {@code data}: whole and summed, or, with dedup on and a big
   * enough record, cut into chunks ({@link Chunks}): {@code 4}, the CRC-32C of oid ‖ tid ‖ the
   * whole data, its length, the head's length, the head, the number of chunks, their SHA-256s, the
   * tail. The chunks not stored yet go into {@code batch} under {@code 'c' hash}; {@code added}
   * gets the bytes of new chunks ([0]) and of the data held in chunks ([1]). Under the monitor.
   */
  private byte[] dataValue(Oid oid, long tid, Bytes data, Map<byte[], byte[]> batch, long[] added) {
    Chunks.Cut cut = dedup ? Chunks.cut(data) : null;
    if (cut == null) {
      return dataValue(oid, tid, data);
    }
    MemorySegment seg = data.segment();
    int n = data.length();
    int tail = n - cut.to();
    ByteBuffer v =
        ByteBuffer.allocate(CHUNKED_HEADER + cut.from() + 4 + cut.count() * Chunks.HASH + tail);
    v.put(CHUNKED).putInt(checksumOfData(oid, tid, seg.asByteBuffer())).putInt(n);
    v.putInt(cut.from()).put(seg.asSlice(0, cut.from()).asByteBuffer());
    v.putInt(cut.count());
    for (int i = 0; i < cut.count(); i++) {
      MemorySegment chunk = seg.asSlice(cut.from() + (long) i * Chunks.CHUNK, Chunks.CHUNK);
      byte[] hash = Chunks.hash(chunk);
      v.put(hash);
      byte[] key = Chunks.key(hash);
      if (packLive != null) {
        packLive.add(ByteBuffer.wrap(key));
      }
      if (!batch.containsKey(key) && !kv.contains(key)) {
        batch.put(key, chunk.toArray(ValueLayout.JAVA_BYTE));
        added[0] += Chunks.CHUNK;
      }
    }
    added[1] += (long) cut.count() * Chunks.CHUNK;
    v.put(seg.asSlice(cut.to(), tail).asByteBuffer());
    return v.array();
  }

  /**
   * Assembles the record of a chunked revision value into {@code into} (from its position, which
   * stays; its limit is set after the record) and checks its CRC-32C.
   *
   * @throws CorruptRecordException naming oid and tid if a chunk is missing or the sum fails
   */
  private void assemble(Oid oid, long tid, byte[] value, ByteBuffer into) {
    ByteBuffer v = ByteBuffer.wrap(value);
    int sum = v.getInt(1);
    int n = v.getInt(5);
    int head = v.getInt(9);
    int at = into.position();
    into.limit(at + n);
    into.put(at, value, CHUNKED_HEADER, head);
    int list = chunkList(value);
    int count = v.getInt(list);
    int to = at + head;
    // in batches of 1024 chunks (one call to the store each)
    for (int from = 0; from < count; from += 1024) {
      int k = Math.min(1024, count - from);
      List<byte[]> keys = new ArrayList<>(k);
      List<ByteBuffer> parts = new ArrayList<>(k);
      for (int i = 0; i < k; i++) {
        keys.add(chunkKey(value, list, from + i));
        parts.add(into.slice(to + i * Chunks.CHUNK, Chunks.CHUNK));
      }
      int[] got = kv.getAll(keys, parts);
      for (int i = 0; i < k; i++) {
        if (got[i] != Chunks.CHUNK) {
          throw damagedChunk(oid, tid, keys.get(i), got[i]);
        }
      }
      to += k * Chunks.CHUNK;
    }
    int tail = list + 4 + count * Chunks.HASH;
    into.put(to, value, tail, n - (to - at));
    if (checksumOfData(oid, tid, into.slice(at, n)) != sum) {
      LOG.error("damaged record: oid {} tid {} fails its checksum", oid, new Tid(tid).toHex());
      throw new CorruptRecordException(
          oid, new Tid(tid), "the stored record fails its checksum (damaged on disk)", null);
    }
  }

  /** The error of chunk {@code key}, which had {@code got} bytes (-1: missing); logged. */
  private static CorruptRecordException damagedChunk(Oid oid, long tid, byte[] key, int got) {
    String hash = HexFormat.of().formatHex(key, 1, key.length);
    LOG.error(
        "damaged record: oid {} tid {}: chunk {} {}",
        oid,
        new Tid(tid).toHex(),
        hash,
        got < 0 ? "missing" : "of " + got + " bytes");
    return new CorruptRecordException(
        oid,
        new Tid(tid),
        "chunk " + hash + (got < 0 ? " is missing" : " has " + got + " bytes (expected: 4096)"),
        null);
  }

  /** Where the chunk count of a chunked revision value is (after its head). */
  private static int chunkList(byte[] value) {
    return CHUNKED_HEADER + ByteBuffer.wrap(value).getInt(9);
  }

  /**
   * The key of chunk {@code i} of a chunked revision value whose chunk count is at {@code list}.
   */
  private static byte[] chunkKey(byte[] value, int list, int i) {
    int at = list + 4 + i * Chunks.HASH;
    return Chunks.key(Arrays.copyOfRange(value, at, at + Chunks.HASH));
  }

  /** The record of a chunked revision value, on the heap. */
  private Bytes assembled(Oid oid, long tid, byte[] value) {
    ByteBuffer into = ByteBuffer.allocate(ByteBuffer.wrap(value).getInt(5));
    assemble(oid, tid, value, into);
    return Bytes.wrap(into.array());
  }

  /**
   * The data of a summed revision value (on the heap or in direct memory), its checksum verified.
   */
  private static Bytes checked(Oid oid, long tid, ByteBuffer value) {
    if (!sumHolds(oid, tid, value)) {
      LOG.error("damaged record: oid {} tid {} fails its checksum", oid, new Tid(tid).toHex());
      throw new CorruptRecordException(
          oid, new Tid(tid), "the stored record fails its checksum (damaged on disk)", null);
    }
    return Bytes.view(MemorySegment.ofBuffer(value).asSlice(SUMMED_HEADER));
  }

  /** Whether a summed revision value is whole and its CRC-32C matches oid, tid and data. */
  private static boolean sumHolds(Oid oid, long tid, ByteBuffer value) {
    return value.limit() >= SUMMED_HEADER && value.getInt(1) == checksum(oid, tid, value);
  }

  private static boolean isData(byte kind) {
    return kind == DATA || kind == DATA_SUMMED || kind == CHUNKED;
  }

  /** The length of the data in a data value. */
  private static int dataLength(byte[] value) {
    return switch (value[0]) {
      case DATA -> value.length - 1;
      case CHUNKED -> ByteBuffer.wrap(value).getInt(5);
      default -> value.length - SUMMED_HEADER;
    };
  }

  /** The bytes of a data value's record held in chunks (0 for a whole record). */
  private static long chunkedLength(byte[] value) {
    if (value[0] != CHUNKED) {
      return 0;
    }
    return (long) ByteBuffer.wrap(value).getInt(chunkList(value)) * Chunks.CHUNK;
  }

  /** The data of a revision value, following back-pointers. */
  private Bytes data(Oid oid, long tid, byte[] value) {
    Home h = follow(oid, tid, value);
    return switch (h.value()[0]) {
      case DATA -> Bytes.view(MemorySegment.ofArray(h.value()).asSlice(1));
      case DATA_SUMMED -> checked(oid, h.tid(), ByteBuffer.wrap(h.value()));
      case CHUNKED -> assembled(oid, h.tid(), h.value());
      default -> throw new NoSuchObjectException(oid);
    };
  }

  /** The revision a value's back-pointers lead to: its tid and value (not a back-pointer). */
  private record Home(long tid, byte[] value) {}

  /** Follows the back-pointers of {@code value} (at {@code tid}) to the revision holding data. */
  private Home follow(Oid oid, long tid, byte[] value) {
    for (int hops = 0; hops < 1000; hops++) {
      if (value[0] != BACK_POINTER) {
        return new Home(tid, value);
      }
      tid = ByteBuffer.wrap(value, 1, 8).getLong();
      value = kv.get(revKey(oid, tid));
      if (value == null) {
        throw new CorruptRecordException(
            oid, new Tid(tid), "back-pointer to a missing revision", null);
      }
    }
    throw new CorruptRecordException(oid, new Tid(tid), "back-pointer chain too long", null);
  }

  @Override
  public Bytes loadSerial(Oid oid, Tid serial) {
    if (Long.compareUnsigned(serial.value(), last.value()) > 0) {
      throw new NoSuchObjectException(oid);
    }
    byte[] value = kv.get(revKey(oid, serial.value()));
    if (value == null) {
      throw new NoSuchObjectException(oid);
    }
    return data(oid, serial.value(), value);
  }

  /**
   * The current serials of objects recently committed or checked: a vote's serial check and a
   * commit's count of new objects were a storage seek per object (11.6% of the group writer's time
   * with 16 committers, and the same seek again in the votes).
   */
  private final SerialCache serials = new SerialCache(SERIAL_SLOTS);

  /** The slots of {@link #serials}. */
  static final int SERIAL_SLOTS = 1 << 16;

  @Override
  public Optional<Tid> currentSerial(Oid oid) {
    if (oid.value() > maxOid) {
      // above every oid stored (maxOid is their maximum as signed values): new, no seek. The seek
      // for a new oid ended on the revision before its key, another object's, and RocksDB reads a
      // value stored in a blob file (decompressing it) to position its iterator there: two 2 MiB
      // blocks read and decompressed for each new block of an import (its vote and its write), 27%
      // of the server's event loop during an import
      return Optional.empty();
    }
    SerialCache.Entry seen = serials.slot(oid);
    if (seen.holds(oid)) {
      return Optional.of(new Tid(seen.tid()));
    }
    try (Kv.Cursor c = kv.cursor()) {
      c.seekForPrev(revKey(oid, last.value()));
      if (!c.valid() || !isRevisionOf(c.key(), oid)) {
        return Optional.empty();
      }
      long tid = tidOf(c.key());
      serials.learn(oid, seen, tid);
      return Optional.of(new Tid(tid));
    }
  }

  @Override
  public List<Map<String, Object>> history(Oid oid, int size) {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Kv.Cursor c = kv.cursor()) {
      c.seekForPrev(revKey(oid, last.value()));
      if (!c.valid() || !isRevisionOf(c.key(), oid)) {
        throw new NoSuchObjectException(oid);
      }
      for (; c.valid() && isRevisionOf(c.key(), oid) && out.size() < size; c.prev()) {
        Tid tid = new Tid(tidOf(c.key()));
        byte[] value = c.value();
        TransactionInfo t = transaction(tid);
        Map<String, Object> d = new LinkedHashMap<>(t.extension());
        d.put("time", tid.toEpochSeconds());
        d.put("tid", Bytes.wrap(tid.toBytes()));
        d.put("user_name", t.user());
        d.put("description", t.description());
        d.put("size", (long) (isData(value[0]) ? dataLength(value) : 0));
        out.add(d);
      }
    }
    return out;
  }

  /**
   * Hands out the next {@code n} oids above every oid stored or handed out before, from a block
   * whose durable high-water mark is written ahead ({@link OidBlocks}): one call in many writes and
   * syncs, and none waits for a commit's write.
   */
  @Override
  public List<Oid> newOids(int n) {
    return oids.next(n, maxOid);
  }

  @Override
  public void commit(Tid tid, TxnMeta meta, List<Write> writes) {
    commit(tid, meta, writes, true);
  }

  @Override
  public void sync() {
    write(Map.of(LAST_TID, longBytes(last.value())), true);
  }

  @Override
  public synchronized void commit(Tid tid, TxnMeta meta, List<Write> writes, boolean durable) {
    write(List.of(new Commit(tid, meta, writes)), durable);
  }

  /**
   * One synced write for the whole group: its transactions become visible together, once durable.
   */
  @Override
  public synchronized void commitAll(List<Commit> commits) {
    write(commits, true);
  }

  private void write(List<Commit> commits, boolean durable) {
    Map<byte[], byte[]> batch = new TreeMap<>(Arrays::compareUnsigned);
    long newCount = count;
    long newSize = size;
    long newMax = maxOid;
    long[] chunked = new long[2];
    Tid prev = last;
    List<Runnable> blobMoves = new ArrayList<>();
    for (Commit c : commits) {
      Tid tid = c.tid();
      if (tid.compareTo(prev) <= 0) {
        throw new IllegalArgumentException(
            "commit tid: " + tid.toHex() + " (expected: > last tid " + prev.toHex() + ")");
      }
      prev = tid;
      Map<Oid, Write> byOid = new LinkedHashMap<>();
      for (Write w : c.writes()) {
        byOid.put(w.oid(), w);
      }
      long txnSize = 0;
      List<Oid> oids = new ArrayList<>();
      for (Write w : byOid.values()) {
        if (currentSerial(w.oid()).isEmpty()) {
          newCount++;
        }
        newMax = Math.max(newMax, w.oid().value());
        byte[] value;
        if (w.data() != null) {
          value =
              w.blob() == null
                  ? dataValue(w.oid(), tid.value(), w.data(), batch, chunked)
                  : dataValue(w.oid(), tid.value(), w.data());
          newSize += w.data().length();
          txnSize += w.data().length();
        } else if (w.dataTid() != null) {
          value = ByteBuffer.allocate(9).put(BACK_POINTER).putLong(w.dataTid().value()).array();
          // the revision's own name for the blob it reuses (an undo's): a client that shares the
          // blob folder reads the file of the revision it loaded, as ZODB's blob storages keep
          Path reused = blobOfRevision(w.oid(), w.dataTid().value());
          if (reused != null) {
            Path to = blobPath(w.oid(), tid.value());
            blobMoves.add(() -> linkBlob(reused, to));
          }
        } else {
          value = new byte[] {DELETED};
        }
        batch.put(revKey(w.oid(), tid.value()), value);
        oids.add(w.oid());
        if (w.blob() != null) {
          Path from = w.blob();
          Path to = blobPath(w.oid(), tid.value());
          blobMoves.add(() -> moveBlob(from, to));
        }
      }
      TxnMeta meta = c.meta();
      batch.put(
          txnKey(tid.value()),
          TxnRecords.encode(
              meta, oids, txnSize + meta.user().length() + meta.description().length()));
    }
    batch.put(LAST_TID, longBytes(prev.value()));
    batch.put(MAX_OID, longBytes(newMax));
    batch.put(COUNT, longBytes(newCount));
    batch.put(SIZE, longBytes(newSize));
    if (chunked[1] != 0) {
      batch.put(CHUNK_BYTES, longBytes(chunkBytes + chunked[0]));
      batch.put(CHUNKED_BYTES, longBytes(chunkedBytes + chunked[1]));
    }
    String failed = failedWrite;
    if (failed != null) {
      throw new StorageException(
          "commits refused by "
              + name
              + " since a write failed ("
              + failed
              + "); acknowledged commits are safe and reads go on; restart the server once the"
              + " cause is fixed");
    }
    blobMoves.forEach(Runnable::run);
    try {
      write(batch, durable);
    } catch (RuntimeException e) {
      failedWrite = String.valueOf(e.getMessage());
      throw e;
    }
    count = newCount;
    size = newSize;
    maxOid = newMax;
    chunkBytes += chunked[0];
    chunkedBytes += chunked[1];
    last = prev;
    for (Commit c : commits) { // readable now (see SerialCache), in tid order: the last one stays
      for (Write w : c.writes()) {
        serials.wrote(w.oid(), c.tid().value());
      }
    }
  }

  private Path blobPath(Oid oid, long tid) {
    return BlobFolder.file(blobs, oid, tid);
  }

  /** The blob file of revision {@code tid} of {@code oid}, back-pointers followed; null if none. */
  private Path blobOfRevision(Oid oid, long tid) {
    byte[] v = kv.get(revKey(oid, tid));
    long home = v == null ? -1 : home(oid, tid, v);
    Path p = home == -1 ? null : blobPath(oid, home);
    return p != null && Files.isRegularFile(p) ? p : null;
  }

  /** Moves a blob file into place, durably; a crash before the batch leaves an unused file. */
  private static void moveBlob(Path from, Path to) {
    try {
      Files.createDirectories(to.getParent());
      // read-only is enough to sync (a file taken from a client sharing the blob folder may be
      // read-only to the server); a link is refused, not followed
      try (FileChannel c =
          FileChannel.open(from, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        c.force(true);
      }
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel d = FileChannel.open(to.getParent(), StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (IOException e) {
      throw new StorageException("cannot store blob " + to + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Path newBlobFile() {
    try {
      return Files.createTempFile(blobs.resolve(BlobFolder.OWN), "upload-", ".blob");
    } catch (IOException e) {
      throw new StorageException("cannot create a blob file in " + blobs + ": " + e, e);
    }
  }

  @Override
  public Path takeSharedBlobFile(Oid oid, String name) {
    // the names a ZEO client gives its files in a shared folder: a temporary file's, and that
    // name with one character added
    boolean tmp =
        name.endsWith(".tmp") || (name.length() > 4 && name.startsWith(".tmp", name.length() - 5));
    if (!tmp || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw new InvalidValueException(
          "shared blob file name '"
              + name
              + "': expected a file name without '/' ending in '.tmp' or in '.tmp' and one"
              + " character");
    }
    Path file = BlobFolder.file(blobs, oid, 0).resolveSibling(name);
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new InvalidValueException(
          "no shared blob file "
              + file
              + " for object "
              + oid.toHex()
              + ": a client with shared_blob_dir=True needs this server's blob folder "
              + blobs
              + " as its blob_dir ("
              + e
              + ")",
          e);
    }
    if (!a.isRegularFile()) {
      throw new InvalidValueException(
          "shared blob file " + file + ": expected a regular file, not a link or a folder");
    }
    // into the server's own folder, where neither the client nor another transaction can reach it
    Path owned = blobs.resolve(BlobFolder.OWN).resolve("shared-" + UUID.randomUUID() + ".blob");
    try {
      Files.move(file, owned, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new InvalidValueException(
          "cannot take shared blob file " + file + " (taken by another transaction?): " + e, e);
    }
    // the name may have been given to a link between the check and the move; and a second hard
    // link would let the client change the blob after the commit, or name a file it cannot read
    String wrong = null;
    if (!Files.isRegularFile(owned, LinkOption.NOFOLLOW_LINKS)) {
      wrong = "expected a regular file, not a link or a folder";
    } else if (hardLinks(owned) > 1) {
      wrong = "expected a file of one name, not a hard link to another file";
    }
    if (wrong != null) {
      try {
        Files.move(owned, file, StandardCopyOption.ATOMIC_MOVE); // given back as it was
      } catch (IOException e) {
        LOG.warn("could not give back {} as {}: {}", owned, file, e.toString());
      }
      throw new InvalidValueException("shared blob file " + file + ": " + wrong);
    }
    return owned;
  }

  /** The number of names of file {@code f}: 1 where the file system does not say. */
  private static long hardLinks(Path f) {
    try {
      return ((Number) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).longValue();
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
      return 1;
    }
  }

  @Override
  public Path blobFile(Oid oid, Tid serial) {
    if (Long.compareUnsigned(serial.value(), last.value()) > 0) {
      throw new NoSuchObjectException(oid);
    }
    byte[] value = kv.get(revKey(oid, serial.value()));
    long home = value == null ? -1 : home(oid, serial.value(), value);
    Path p = home == -1 ? null : blobPath(oid, home);
    if (p == null || !Files.isRegularFile(p)) {
      throw new NoSuchObjectException(oid);
    }
    return p;
  }

  /** The transaction record of {@code tid}. */
  private TransactionInfo transaction(Tid tid) {
    byte[] v = kv.get(txnKey(tid.value()));
    if (v == null) {
      throw new CorruptRecordException(null, tid, "missing transaction record", null);
    }
    return decodeTxn(tid, v);
  }

  private TransactionInfo decodeTxn(Tid tid, byte[] v) {
    return TxnRecords.decode(tid, v).info(tid, tid.compareTo(packed) <= 0);
  }

  private static List<Oid> txnOids(Tid tid, byte[] v) {
    return TxnRecords.decode(tid, v).oids();
  }

  @Override
  public List<Oid> transactionOids(Tid tid) {
    byte[] v = kv.get(txnKey(tid.value()));
    return v == null || tid.compareTo(last) > 0 ? List.of() : txnOids(tid, v);
  }

  @Override
  public long transactionSize(Tid tid) {
    byte[] v = kv.get(txnKey(tid.value()));
    if (v == null) {
      return 0;
    }
    return TxnRecords.decode(tid, v).size();
  }

  @Override
  public Iterable<TransactionInfo> transactions(Tid start, Tid stop) {
    long from = start == null ? 0 : start.value();
    long to = stop == null ? last.value() : Math.min(stop.value(), last.value());
    return walk(from, to, true);
  }

  /**
   * The transactions from {@code from} on: oldest first up to {@code to} ({@code forward}), or
   * newest first down to the first. One cursor seek per transaction, so commits made meanwhile do
   * not disturb the walk.
   */
  private Iterable<TransactionInfo> walk(long from, long to, boolean forward) {
    return () ->
        new Iterator<>() {
          private long next = from;
          private boolean ended;
          private TransactionInfo ahead = advance();

          private TransactionInfo advance() {
            if (ended) {
              return null;
            }
            try (Kv.Cursor c = kv.cursor()) {
              if (forward) {
                c.seek(txnKey(next));
              } else {
                c.seekForPrev(txnKey(next));
              }
              if (!c.valid() || c.key()[0] != TXN || c.key().length != 9) {
                return null;
              }
              long tid = tidOf(c.key());
              if (forward && Long.compareUnsigned(tid, to) > 0) {
                return null;
              }
              ended = tid == (forward ? -1L : 0L); // no tid beyond it
              next = forward ? tid + 1 : tid - 1;
              return decodeTxn(new Tid(tid), c.value());
            }
          }

          @Override
          public boolean hasNext() {
            return ahead != null;
          }

          @Override
          public TransactionInfo next() {
            if (ahead == null) {
              throw new NoSuchElementException();
            }
            TransactionInfo t = ahead;
            ahead = advance();
            return t;
          }
        };
  }

  @Override
  public List<RecordInfo> records(Tid tid) {
    byte[] v = kv.get(txnKey(tid.value()));
    if (v == null || tid.compareTo(last) > 0) {
      return List.of();
    }
    List<RecordInfo> out = new ArrayList<>();
    for (Oid oid : txnOids(tid, v)) {
      byte[] value = kv.get(revKey(oid, tid.value()));
      if (value == null) {
        continue; // removed by a pack
      }
      switch (value[0]) {
        case DATA, DATA_SUMMED, CHUNKED ->
            out.add(new RecordInfo(oid, tid, data(oid, tid.value(), value), null));
        case BACK_POINTER -> {
          Tid dataTid = new Tid(ByteBuffer.wrap(value, 1, 8).getLong());
          Bytes data;
          try {
            data = data(oid, tid.value(), value);
          } catch (NoSuchObjectException deleted) {
            data = null;
          }
          out.add(new RecordInfo(oid, tid, data, dataTid));
        }
        default -> out.add(new RecordInfo(oid, tid, null, null));
      }
    }
    return out;
  }

  @Override
  public Optional<CurrentRecord> recordAtOrAfter(Oid from) {
    long oid = from == null ? 0 : from.value();
    try (Kv.Cursor c = kv.cursor()) {
      Oid found = null;
      Tid foundTid = null;
      Bytes foundData = null;
      for (c.seek(revKey(new Oid(oid), 0)); c.valid() && c.key()[0] == REVISION; ) {
        Oid at = new Oid(ByteBuffer.wrap(c.key(), 1, 8).getLong());
        if (found != null) {
          return Optional.of(new CurrentRecord(found, foundTid, foundData, at));
        }
        Optional<Tid> cur = currentSerial(at);
        if (cur.isPresent()) {
          byte[] value = kv.get(revKey(at, cur.get().value()));
          if (value[0] != DELETED) {
            found = at;
            foundTid = cur.get();
            foundData = data(at, cur.get().value(), value);
          }
        }
        if (at.value() == -1L) {
          break;
        }
        c.seek(revKey(new Oid(at.value() + 1), 0));
      }
      return found == null
          ? Optional.empty()
          : Optional.of(new CurrentRecord(found, foundTid, foundData, null));
    }
  }

  /** The tid whose revision holds the data of {@code value} (at {@code tid}), -1 if deleted. */
  private long home(Oid oid, long tid, byte[] value) {
    Home h = follow(oid, tid, value);
    return isData(h.value()[0]) ? h.tid() : -1;
  }

  /** The newest visible revision of {@code oid} at or before {@code tid}: {tid, value}, or null. */
  private Object[] revisionAtOrBefore(Oid oid, long tid) {
    long upTo = Long.compareUnsigned(tid, last.value()) < 0 ? tid : last.value();
    try (Kv.Cursor c = kv.cursor()) {
      c.seekForPrev(revKey(oid, upTo));
      return c.valid() && isRevisionOf(c.key(), oid)
          ? new Object[] {tidOf(c.key()), c.value()}
          : null;
    }
  }

  @Override
  public Iterable<TransactionInfo> transactionsNewestFirst() {
    return walk(last.value(), 0, false);
  }

  @Override
  public List<Write> undo(Tid undone, Map<Oid, Write> pending) {
    byte[] t = kv.get(txnKey(undone.value()));
    if (t == null || undone.compareTo(last) > 0) {
      throw new UndoException("Invalid transaction id", null);
    }
    TxnRecords.Fields txn = undone.compareTo(packed) <= 0 ? null : TxnRecords.decode(undone, t);
    if (txn == null || !" ".equals(txn.status())) {
      throw new UndoException("non-undoable transaction", null);
    }
    return UndoPlan.writes(
        undone,
        txn.oids(),
        pending,
        last.value(),
        new UndoPlan.Revisions<RuntimeException>() {
          @Override
          public long home(Oid oid, long tid) {
            byte[] v = kv.get(revKey(oid, tid));
            return v == null ? UndoPlan.MISSING : KvStorage.this.home(oid, tid, v);
          }

          @Override
          public long atOrBefore(Oid oid, long tid) {
            Object[] r = revisionAtOrBefore(oid, tid);
            return r == null ? UndoPlan.MISSING : (long) r[0];
          }

          @Override
          public Bytes data(Oid oid, long home) {
            return dataAt(oid, home);
          }
        });
  }

  private Bytes dataAt(Oid oid, long tid) {
    return data(oid, tid, kv.get(revKey(oid, tid)));
  }

  @Override
  public Tid packedUpTo() {
    return packed;
  }

  @Override
  public PackResult pack(Tid packTid, boolean gc) {
    synchronized (packing) {
      Tid snapshot = last;
      long pt = packTid.compareTo(snapshot) < 0 ? packTid.value() : snapshot.value();
      if (Long.compareUnsigned(pt, packed.value()) <= 0 || pt == 0) {
        return PackResult.NOTHING;
      }
      // From here on undo cannot reach into the packed region.
      write(Map.of(PACKED, longBytes(pt)), true);
      packed = new Tid(pt);

      PackPlan plan = new PackPlan(pt);
      try (Kv.Cursor c = kv.cursor()) {
        for (c.seek(new byte[] {REVISION}); c.valid() && c.key()[0] == REVISION; c.next()) {
          byte[] key = c.key();
          long tid = tidOf(key);
          if (Long.compareUnsigned(tid, snapshot.value()) <= 0) {
            plan.add(new Oid(ByteBuffer.wrap(key, 1, 8).getLong()), tid, false);
          }
        }
      }
      PackPlan.Source<RuntimeException> source =
          new PackPlan.Source<>() {
            @Override
            public List<Oid> referencesAt(Oid oid, long tid) {
              return KvStorage.this.referencesAt(oid, tid);
            }

            @Override
            public boolean deletedAt(Oid oid, long tid) {
              byte[] v = kv.get(revKey(oid, tid));
              return v != null && home(oid, tid, v) == -1;
            }
          };
      plan.decide(source, gc);

      PackResult result;
      synchronized (this) { // commits wait for this short part only
        keepWhatNewCommitsUse(snapshot, plan, source);
        result = removeRevisions(plan.remove(), plan.vanish(), pt);
        packLive = ConcurrentHashMap.newKeySet();
      }
      try {
        sweepChunks(); // chunks are small values, in tables: compactions drop them
      } finally {
        synchronized (this) {
          packLive = null;
        }
      }
      if (reclaimPending) { // values in RocksDB's blob files: their space comes back when asked
        reclaim();
      }
      return result;
    }
  }

  /**
   * Deletes the chunks no revision uses any more. Marks the chunks of the revisions kept (a
   * snapshot taken once commits note theirs in {@link #packLive}), then deletes the others in
   * batches under the commit monitor, sparing those a commit used meanwhile: a commit that found a
   * chunk stored before a batch deleted it has noted it, and one after writes it again.
   */
  private void sweepChunks() {
    Set<ByteBuffer> live = new HashSet<>();
    try (Kv.Cursor c = kv.cursor()) {
      for (c.seek(new byte[] {REVISION}); c.valid() && c.key()[0] == REVISION; c.next()) {
        byte[] v = c.value();
        if (v.length > 0 && v[0] == CHUNKED) {
          int list = chunkList(v);
          int n = ByteBuffer.wrap(v).getInt(list);
          for (int i = 0; i < n; i++) {
            live.add(ByteBuffer.wrap(chunkKey(v, list, i)));
          }
        }
      }
    }
    Runnable hook = afterMark;
    if (hook != null) {
      hook.run();
    }
    long freed = 0;
    List<byte[]> dead = new ArrayList<>();
    try (Kv.Cursor c = kv.cursor()) {
      for (c.seek(new byte[] {CHUNK}); ; c.next()) {
        boolean more = c.valid() && c.key()[0] == CHUNK;
        if (more && !live.contains(ByteBuffer.wrap(c.key()))) {
          dead.add(c.key());
        }
        if (dead.size() >= BATCH || (!more && !dead.isEmpty())) {
          freed += deleteChunks(dead);
          dead.clear();
        }
        if (!more) {
          break;
        }
      }
    }
    if (freed > 0) {
      LOG.info("packed {}: freed {} chunks, {} bytes", name, freed / Chunks.CHUNK, freed);
    }
  }

  /** For tests: runs between the sweep's mark and its deletes. */
  volatile Runnable afterMark;

  /** Deletes {@code dead} chunks but those a commit used since the sweep began. */
  private synchronized long deleteChunks(List<byte[]> dead) {
    Map<byte[], byte[]> batch = new TreeMap<>(Arrays::compareUnsigned);
    for (byte[] key : dead) {
      if (!packLive.contains(ByteBuffer.wrap(key))) {
        batch.put(key, null);
      }
    }
    long freed = (long) batch.size() * Chunks.CHUNK;
    chunkBytes -= freed;
    batch.put(CHUNK_BYTES, longBytes(chunkBytes));
    write(batch, true);
    return freed;
  }

  /** The references of revision {@code tid} of {@code oid} (following back-pointers). */
  private List<Oid> referencesAt(Oid oid, long tid) {
    byte[] v = kv.get(revKey(oid, tid));
    if (v == null) {
      return List.of();
    }
    long home = home(oid, tid, v);
    if (home == -1) {
      return List.of();
    }
    Bytes data = home == tid ? data(oid, tid, v) : dataAt(oid, home);
    return PackPlan.references(oid, tid, data);
  }

  /**
   * Keeps what transactions committed after the pack's snapshot refer to: objects they reference
   * and revisions they point back to. Runs under the commit monitor, so no new commit interleaves.
   */
  private void keepWhatNewCommitsUse(
      Tid snapshot, PackPlan plan, PackPlan.Source<RuntimeException> source) {
    if (last.equals(snapshot)) {
      return;
    }
    for (TransactionInfo t : transactions(new Tid(snapshot.value() + 1), last)) {
      for (RecordInfo r : records(t.tid())) {
        plan.keepUsedBy(
            r.oid(),
            r.dataTxn() == null ? -1 : r.dataTxn().value(),
            r.data() == null ? List.of() : References.extract(r.data().segment()));
      }
    }
    plan.keepClosure(source);
  }

  private PackResult removeRevisions(Map<Oid, List<Long>> remove, Set<Oid> vanish, long pt) {
    Map<byte[], byte[]> batch = new TreeMap<>(Arrays::compareUnsigned);
    Set<Long> touchedTxns = new HashSet<>();
    List<Path> deadBlobs = new ArrayList<>();
    long revisions = 0;
    long bytes = 0;
    long unchunked = 0;
    for (Map.Entry<Oid, List<Long>> e : remove.entrySet()) {
      Oid oid = e.getKey();
      Set<Long> gone = new HashSet<>(e.getValue());
      if (gone.isEmpty()) {
        continue;
      }
      // kept revisions that point back into removed ones get the data itself
      try (Kv.Cursor c = kv.cursor()) {
        for (c.seek(revKey(oid, 0)); c.valid() && isRevisionOf(c.key(), oid); c.next()) {
          long tid = tidOf(c.key());
          byte[] v = c.value();
          if (gone.contains(tid) || v[0] != BACK_POINTER) {
            continue;
          }
          long home = home(oid, tid, v);
          if (home != -1 && gone.contains(home)) {
            byte[] d = kv.get(revKey(oid, home));
            // the data moves to this revision's key: summed anew for it
            batch.put(revKey(oid, tid), dataValue(oid, tid, data(oid, home, d)));
            Path blob = blobPath(oid, home);
            if (Files.exists(blob)) {
              linkBlob(blob, blobPath(oid, tid));
            }
          }
        }
      }
      for (long tid : gone) {
        byte[] v = kv.get(revKey(oid, tid));
        if (v != null && isData(v[0])) {
          bytes += dataLength(v);
          unchunked += chunkedLength(v);
        }
        if (v != null && v.length >= RocksKv.MIN_BLOB_SIZE && !reclaimPending) {
          reclaimPending = true;
          batch.put(RECLAIM, new byte[] {1}); // with the first deletion of one
        }
        batch.put(revKey(oid, tid), null);
        touchedTxns.add(tid);
        deadBlobs.add(blobPath(oid, tid));
        revisions++;
        if (batch.size() >= BATCH) {
          write(batch, false);
          batch.clear();
        }
      }
    }
    write(batch, false);
    batch.clear();
    long transactions = 0;
    for (long tid : touchedTxns) {
      byte[] v = kv.get(txnKey(tid));
      if (v == null) {
        continue;
      }
      boolean any = false;
      for (Oid oid : txnOids(new Tid(tid), v)) {
        any |= kv.get(revKey(oid, tid)) != null;
      }
      if (!any) {
        batch.put(txnKey(tid), null);
        transactions++;
      }
    }
    size -= bytes;
    count -= vanish.size();
    chunkedBytes -= unchunked;
    batch.put(SIZE, longBytes(size));
    batch.put(COUNT, longBytes(count));
    batch.put(CHUNKED_BYTES, longBytes(chunkedBytes));
    write(batch, true);
    serials.clear(); // objects collected have no current serial any more
    for (Path p : deadBlobs) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        LOG.warn("pack could not remove blob file {}: {}", p, e.toString());
      }
    }
    LOG.info(
        "packed {} up to {}: removed {} revisions, {} objects, {} transactions, {} bytes",
        name,
        new Tid(pt).toHex(),
        revisions,
        vanish.size(),
        transactions,
        bytes);
    return new PackResult(revisions, vanish.size(), transactions, bytes);
  }

  /**
   * Gives blob file {@code from} a second name {@code to} (a copy where the file system has no hard
   * links), durably, in place of another file of that name (left by a commit that a crash cut
   * short); a link to {@code from} already there stays.
   */
  private void linkBlob(Path from, Path to) {
    try {
      if (Files.exists(to, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(from, to)) {
        return; // linked at its commit: pack keeps it as it is
      }
      Files.createDirectories(to.getParent());
      // made under a name of the server's own, then put in place at once: a reader of the name
      // never finds it missing
      Path made = blobs.resolve(BlobFolder.OWN).resolve("link-" + UUID.randomUUID() + ".blob");
      try {
        Files.createLink(made, from);
      } catch (UnsupportedOperationException | IOException e) {
        Files.copy(from, made, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel c = FileChannel.open(made, StandardOpenOption.READ)) {
          c.force(true);
        }
      }
      Files.move(made, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel d = FileChannel.open(to.getParent(), StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (IOException e) {
      throw new StorageException(
          "cannot keep blob " + from + " as " + to + ": " + e.getMessage(), e);
    }
  }

  /** A revision {@link #verify} found damaged. */
  public record Damage(Oid oid, Tid tid, String problem) {}

  /** What {@link #verify} read: revisions, their bytes, and the damaged ones. */
  public record Verified(long revisions, long bytes, List<Damage> damaged) {}

  /**
   * Reads every stored revision and checks it, as a load would, without stopping at the first
   * damage: a summed revision against its CRC-32C (which covers oid and tid, so a record under a
   * damaged key fails too), a revision without a sum through the store's own checks, a back-pointer
   * for the revision it points to. Meant for a stopped storage ({@code zbig-server verify}); a
   * store that cannot be read on (a damaged index block) ends the walk with a {@link
   * StorageException} naming the last key read.
   *
   * @param progress told the bytes read so far, now and then
   */
  public Verified verify(LongConsumer progress) {
    List<Damage> damaged = new ArrayList<>();
    long revisions = 0;
    long bytes = 0;
    byte[] lastRead = null;
    try (Kv.Cursor c = kv.cursor(false)) {
      for (c.seek(new byte[] {REVISION}); c.valid() && c.key()[0] == REVISION; c.next()) {
        byte[] key = c.key();
        byte[] value = c.value();
        revisions++;
        bytes += value.length;
        if ((revisions & 1023) == 0) {
          progress.accept(bytes);
        }
        if (key.length != 17) {
          damaged.add(new Damage(null, null, "a revision key of " + key.length + " bytes"));
          continue;
        }
        ByteBuffer k = ByteBuffer.wrap(key);
        Oid oid = new Oid(k.getLong(1));
        long tid = k.getLong(9);
        String problem = problem(oid, tid, key, value);
        if (problem != null) {
          LOG.error("damaged record: oid {} tid {}: {}", oid, new Tid(tid).toHex(), problem);
          damaged.add(new Damage(oid, new Tid(tid), problem));
        }
        lastRead = key;
      }
    } catch (RuntimeException e) {
      throw new StorageException(
          "the store cannot be read on after "
              + (lastRead == null
                  ? "its start"
                  : "revision key " + HexFormat.of().formatHex(lastRead))
              + " ("
              + revisions
              + " revisions read, "
              + damaged.size()
              + " damaged): "
              + e.getMessage(),
          e);
    }
    progress.accept(bytes);
    return new Verified(revisions, bytes, List.copyOf(damaged));
  }

  /** What is wrong with one stored revision, or null. */
  private String problem(Oid oid, long tid, byte[] key, byte[] value) {
    if (value.length == 0) {
      return "an empty revision value";
    }
    switch (value[0]) {
      case DATA_SUMMED -> {
        return sumHolds(oid, tid, ByteBuffer.wrap(value))
            ? null
            : "the stored record fails its checksum (damaged on disk)";
      }
      case CHUNKED -> {
        try {
          assembled(oid, tid, value);
          return null;
        } catch (CorruptRecordException e) {
          return e.getMessage();
        } catch (RuntimeException e) {
          return "a chunked revision that cannot be read: " + e;
        }
      }
      case DATA -> {
        try {
          kv.get(key); // no sum of its own: the store's checks read it
          return null;
        } catch (RuntimeException e) {
          return "the store's own check fails: " + e.getMessage();
        }
      }
      case BACK_POINTER -> {
        if (value.length != 9) {
          return "a back-pointer of " + value.length + " bytes";
        }
        long to = ByteBuffer.wrap(value, 1, 8).getLong();
        return kv.get(revKey(oid, to)) == null
            ? "a back-pointer to revision " + new Tid(to).toHex() + ", which is missing"
            : null;
      }
      case DELETED -> {
        return null;
      }
      default -> {
        return "an unknown revision kind " + value[0];
      }
    }
  }

  @Override
  public long objectCount() {
    return count;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void close() {
    if (failedWrite == null) { // a clean close gives back the block: the next start goes on here
      try {
        oids.giveBack(maxOid);
      } catch (RuntimeException e) { // the higher mark stays: safe, oids are skipped
        LOG.warn("{}: could not give back the oids reserved: {}", name, e.toString());
      }
    }
    kv.close();
    if (ownBlobs) {
      try (var files = Files.walk(blobs)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        LOG.warn("could not remove the temporary blob folder {}: {}", blobs, e.toString());
      }
    }
  }
}
