package org.zbig.server.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleReader;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.PickleWriter;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * The on-disk codec of a transaction's metadata, shared by both storages: the extension dict as a
 * pickle (a PostgreSQL column, and inside the RocksDB record), and the whole RocksDB record, a
 * pickled tuple {@code (status, user, description, extension, oids, size)} (records written before
 * the size was kept have five fields).
 *
 * <p>Decoding checks every field and reports damage as a {@link CorruptRecordException} naming the
 * transaction, the field, the value and the expectation; it never trusts what it reads.
 */
final class TxnRecords {
  private TxnRecords() {}

  /** The fields of a RocksDB transaction record. */
  record Fields(
      String status,
      Bytes user,
      Bytes description,
      Map<String, Object> extension,
      List<Oid> oids,
      long size) {

    /** The transaction as the storage answers it, with status {@code "p"} if it is packed. */
    TransactionInfo info(Tid tid, boolean packed) {
      return new TransactionInfo(tid, packed ? "p" : status, user, description, extension);
    }
  }

  /** The RocksDB record of a transaction. */
  static byte[] encode(TxnMeta meta, List<Oid> oids, long size) {
    List<Object> oidBytes = new ArrayList<>(oids.size());
    for (Oid oid : oids) {
      oidBytes.add(Bytes.wrap(oid.toBytes()));
    }
    Tuple t =
        Tuple.of(
            meta.status(),
            meta.user(),
            meta.description(),
            new LinkedHashMap<>(meta.extension()),
            oidBytes,
            size);
    return new PickleWriter(false, v -> null).dump(t).toByteArray();
  }

  /** The pickled extension dict of a transaction. */
  static byte[] encodeExtension(Map<String, Object> extension) {
    return new PickleWriter(false, v -> null).dump(new LinkedHashMap<>(extension)).toByteArray();
  }

  /** Decodes the RocksDB record of transaction {@code tid}. */
  static Fields decode(Tid tid, byte[] record) {
    Object o = load(tid, record, "transaction record");
    List<?> t =
        switch (o) {
          case Tuple tuple -> tuple.items();
          case List<?> list -> list;
          case null, default -> throw corrupt(tid, "transaction record", o, "a tuple of 5 or 6");
        };
    if (t.size() != 5 && t.size() != 6) {
      throw corrupt(tid, "transaction record", o, "a tuple of 5 or 6");
    }
    return new Fields(
        text(tid, "status", t.get(0)),
        bytes(tid, "user", t.get(1)),
        bytes(tid, "description", t.get(2)),
        dict(tid, t.get(3)),
        oids(tid, t.get(4)),
        t.size() > 5 && t.get(5) instanceof Long n ? n : 0);
  }

  /**
   * Decodes the pickled extension dict of transaction {@code tid}: a dict with str keys, or a
   * pickled {@code dict(...)} call as Python writes for a dict subclass ({@link
   * PickleValues#strKeyDict}).
   */
  static Map<String, Object> decodeExtension(Tid tid, byte[] pickle) {
    return dict(tid, load(tid, pickle, "extension"));
  }

  private static Object load(Tid tid, byte[] pickle, String what) {
    try {
      return PickleReader.loads(pickle);
    } catch (RuntimeException e) {
      throw new CorruptRecordException(null, tid, what + ": not a pickle: " + e.getMessage(), e);
    }
  }

  private static String text(Tid tid, String what, Object v) {
    if (v instanceof String s) {
      return s;
    }
    throw corrupt(tid, what, v, "str");
  }

  private static Bytes bytes(Tid tid, String what, Object v) {
    if (v instanceof Bytes b) {
      return b;
    }
    throw corrupt(tid, what, v, "bytes");
  }

  private static Map<String, Object> dict(Tid tid, Object v) {
    return PickleValues.strKeyDict(
        v, "extension", (what, x, expected) -> corrupt(tid, what, x, expected));
  }

  private static List<Oid> oids(Tid tid, Object v) {
    List<?> items =
        switch (v) {
          case Tuple t -> t.items();
          case List<?> l -> l;
          case null, default -> throw corrupt(tid, "oids", v, "a list of 8-byte oids");
        };
    List<Oid> out = new ArrayList<>();
    for (Object o : items) {
      if (!(o instanceof Bytes b) || b.length() != 8) {
        throw corrupt(tid, "oid", o, "8 bytes");
      }
      out.add(Oid.of(b.toByteArray()));
    }
    return out;
  }

  private static CorruptRecordException corrupt(Tid tid, String what, Object v, String expected) {
    return new CorruptRecordException(
        null,
        tid,
        what
            + ": "
            + PickleValues.typeName(v)
            + " "
            + PickleValues.repr(v, 80)
            + " (expected: "
            + expected
            + ")",
        null);
  }
}
