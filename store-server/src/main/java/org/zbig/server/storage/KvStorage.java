package org.zbig.server.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.TreeMap;
import org.zbig.wire.CurrentRecord;
import org.zbig.wire.LoadResult;
import org.zbig.wire.RecordInfo;
import org.zbig.wire.TransactionInfo;
import org.zbig.wire.WireValues;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleReader;
import org.zbig.zodb.pickle.PickleWriter;
import org.zbig.zodb.pickle.Tuple;

/**
 * The {@link Storage} over an ordered key-value store. Layout (all numbers big-endian):
 *
 * <ul>
 *   <li>{@code 'r' oid tid} → a revision: {@code 0} + data, {@code 1} + the tid whose data it
 *       reuses, or {@code 2} (deleted). {@code loadBefore} is one {@code seekForPrev}, its end tid
 *       the next key.
 *   <li>{@code 't' tid} → the transaction: a pickle of {@code (status, user, description,
 *       extension, [oid, ...])}.
 *   <li>{@code 'm' name} → counters: last tid, highest oid, object count, data size.
 * </ul>
 *
 * A commit writes one atomic, synced batch, then publishes the new last tid; readers never see half
 * a transaction because they only read revisions whose tid is at most the published one.
 */
public final class KvStorage implements Storage {
  private static final byte REVISION = 'r';
  private static final byte TXN = 't';
  private static final byte META = 'm';
  private static final byte DATA = 0;
  private static final byte BACK_POINTER = 1;
  private static final byte DELETED = 2;
  private static final byte[] LAST_TID = {META, 'l'};
  private static final byte[] MAX_OID = {META, 'o'};
  private static final byte[] COUNT = {META, 'c'};
  private static final byte[] SIZE = {META, 's'};

  private final Kv kv;
  private final String name;
  private volatile Tid last;
  private long maxOid;
  private long count;
  private long size;

  private KvStorage(Kv kv, String name) {
    this.kv = kv;
    this.name = name;
    this.last = new Tid(readLong(LAST_TID));
    this.maxOid = readLong(MAX_OID);
    this.count = readLong(COUNT);
    this.size = readLong(SIZE);
  }

  /** A storage in memory, empty. */
  public static KvStorage inMemory() {
    return new KvStorage(new MemoryKv(), "memory");
  }

  /** A storage in RocksDB in {@code dir}, created if missing. */
  public static KvStorage rocks(Path dir) {
    return new KvStorage(new RocksKv(dir), dir.getFileName().toString());
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

  @Override
  public Optional<LoadResult> loadBefore(Oid oid, Tid before) {
    long visible = last.value();
    try (Kv.Cursor c = kv.cursor()) {
      long upTo =
          Long.compareUnsigned(before.value() - 1, visible) < 0 ? before.value() - 1 : visible;
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
      byte[] value = c.value();
      if (value[0] == DELETED) {
        throw new NoSuchObjectException(oid);
      }
      c.next();
      Tid end =
          c.valid()
                  && isRevisionOf(c.key(), oid)
                  && Long.compareUnsigned(tidOf(c.key()), visible) <= 0
              ? new Tid(tidOf(c.key()))
              : null;
      return Optional.of(new LoadResult(data(oid, start, value), new Tid(start), end));
    }
  }

  /** The data of a revision value, following back-pointers. */
  private Bytes data(Oid oid, long tid, byte[] value) {
    for (int hops = 0; hops < 1000; hops++) {
      switch (value[0]) {
        case DATA -> {
          return Bytes.view(java.lang.foreign.MemorySegment.ofArray(value).asSlice(1));
        }
        case BACK_POINTER -> {
          tid = ByteBuffer.wrap(value, 1, 8).getLong();
          value = kv.get(revKey(oid, tid));
          if (value == null) {
            throw new CorruptRecordException(
                oid, new Tid(tid), "back-pointer to a missing revision", null);
          }
        }
        default -> throw new NoSuchObjectException(oid);
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

  @Override
  public Optional<Tid> currentSerial(Oid oid) {
    try (Kv.Cursor c = kv.cursor()) {
      c.seekForPrev(revKey(oid, last.value()));
      return c.valid() && isRevisionOf(c.key(), oid)
          ? Optional.of(new Tid(tidOf(c.key())))
          : Optional.empty();
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
        d.put("tid", WireValues.bytes(tid));
        d.put("serial", WireValues.bytes(tid));
        d.put("user_name", t.user());
        d.put("description", t.description());
        d.put("size", (long) (value[0] == DATA ? value.length - 1 : 0));
        out.add(d);
      }
    }
    return out;
  }

  @Override
  public synchronized List<Oid> newOids(int n) {
    List<Oid> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Oid(++maxOid));
    }
    kv.write(Map.of(MAX_OID, longBytes(maxOid)), true);
    return out;
  }

  @Override
  public synchronized void commit(Tid tid, TxnMeta meta, List<Write> writes) {
    if (tid.compareTo(last) <= 0) {
      throw new IllegalArgumentException(
          "commit tid: " + tid.toHex() + " (expected: > last tid " + last.toHex() + ")");
    }
    Map<byte[], byte[]> batch = new TreeMap<>(java.util.Arrays::compareUnsigned);
    Map<Oid, Write> byOid = new LinkedHashMap<>();
    for (Write w : writes) {
      byOid.put(w.oid(), w);
    }
    long newCount = count;
    long newSize = size;
    long newMax = maxOid;
    List<Object> oids = new ArrayList<>();
    for (Write w : byOid.values()) {
      if (currentSerial(w.oid()).isEmpty()) {
        newCount++;
      }
      newMax = Math.max(newMax, w.oid().value());
      byte[] value;
      if (w.data() != null) {
        value = new byte[1 + w.data().length()];
        value[0] = DATA;
        w.data().segment().asByteBuffer().get(0, value, 1, w.data().length());
        newSize += w.data().length();
      } else if (w.dataTid() != null) {
        value = ByteBuffer.allocate(9).put(BACK_POINTER).putLong(w.dataTid().value()).array();
      } else {
        value = new byte[] {DELETED};
      }
      batch.put(revKey(w.oid(), tid.value()), value);
      oids.add(WireValues.bytes(w.oid()));
    }
    Tuple txn =
        Tuple.of(
            meta.status(),
            meta.user(),
            meta.description(),
            new LinkedHashMap<>(meta.extension()),
            oids);
    batch.put(txnKey(tid.value()), new PickleWriter(false, v -> null).dump(txn).toByteArray());
    batch.put(LAST_TID, longBytes(tid.value()));
    batch.put(MAX_OID, longBytes(newMax));
    batch.put(COUNT, longBytes(newCount));
    batch.put(SIZE, longBytes(newSize));
    kv.write(batch, true);
    count = newCount;
    size = newSize;
    maxOid = newMax;
    last = tid;
  }

  /** The transaction record of {@code tid}. */
  private TransactionInfo transaction(Tid tid) {
    byte[] v = kv.get(txnKey(tid.value()));
    if (v == null) {
      throw new CorruptRecordException(null, tid, "missing transaction record", null);
    }
    return decodeTxn(tid, v);
  }

  private static TransactionInfo decodeTxn(Tid tid, byte[] v) {
    List<Object> t = WireValues.sequence(PickleReader.loads(v), 5, "transaction record");
    return new TransactionInfo(
        tid,
        WireValues.text(t.get(0), "status"),
        WireValues.bytes(t.get(1), "user"),
        WireValues.bytes(t.get(2), "description"),
        WireValues.dict(t.get(3), "extension"));
  }

  private static List<Oid> txnOids(byte[] v) {
    List<Object> t = WireValues.sequence(PickleReader.loads(v), 5, "transaction record");
    return WireValues.oids(t.get(4), "oids");
  }

  @Override
  public Iterable<TransactionInfo> transactions(Tid start, Tid stop) {
    long from = start == null ? 0 : start.value();
    long to = stop == null ? last.value() : Math.min(stop.value(), last.value());
    return () ->
        new Iterator<>() {
          private long next = from;
          private TransactionInfo ahead = advance();

          private TransactionInfo advance() {
            try (Kv.Cursor c = kv.cursor()) {
              c.seek(txnKey(next));
              if (!c.valid() || c.key()[0] != TXN || c.key().length != 9) {
                return null;
              }
              long tid = tidOf(c.key());
              if (Long.compareUnsigned(tid, to) > 0) {
                return null;
              }
              next = tid + 1;
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
            ahead = next == 0 ? null : advance();
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
    for (Oid oid : txnOids(v)) {
      byte[] value = kv.get(revKey(oid, tid.value()));
      switch (value[0]) {
        case DATA -> out.add(new RecordInfo(oid, tid, data(oid, tid.value(), value), null));
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
    kv.close();
  }
}
