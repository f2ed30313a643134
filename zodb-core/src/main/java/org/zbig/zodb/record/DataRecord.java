package org.zbig.zodb.record;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.GlobalResolver;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.PickleReader;
import org.zbig.zodb.pickle.PickleWriter;

/**
 * One revision of one object as a storage keeps it: the class pickle followed by the state pickle,
 * written with one shared memo (docs/formats.md §1.1).
 *
 * <pre>
 * +-------------------------------+----------------------------------------+
 * | class pickle                  | state pickle                           |
 * | 80 03 ... 2E                  | 80 03 ... 2E                           |
 * | e.g. GLOBAL + BINPUT 0        | may BINGET 0 (the class) and any other |
 * |                               | entry the class pickle memoized        |
 * +-------------------------------+----------------------------------------+
 * </pre>
 *
 * No length prefix: the first pickle ends at its STOP. Persistent references in the state are
 * {@link Reference}s.
 *
 * @param classMeta the class metadata
 * @param state the state, a pickle value in which persistent references are {@link Reference}s
 */
public record DataRecord(ClassMeta classMeta, Object state) {
  /** Checks the arguments. */
  public DataRecord {
    Objects.requireNonNull(classMeta, "classMeta");
  }

  /**
   * Decodes a record; its globals are opaque names.
   *
   * @throws PickleException if the bytes are not a record
   */
  public static DataRecord decode(MemorySegment data) {
    return decode(data, GlobalResolver.opaque());
  }

  /** Decodes a record held in an array (not copied). */
  public static DataRecord decode(byte[] data) {
    return decode(MemorySegment.ofArray(data));
  }

  /** Decodes a record held in a byte string (not copied). */
  public static DataRecord decode(Bytes data) {
    return decode(data.segment());
  }

  /**
   * Decodes a record, resolving globals with {@code globals}.
   *
   * @throws PickleException if the bytes are not a record, or a global is refused
   */
  public static DataRecord decode(MemorySegment data, GlobalResolver globals) {
    PickleReader r = reader(data, globals);
    ClassMeta meta = classMeta(r);
    Object state = r.load();
    if (!r.atEnd()) {
      throw new PickleException(
          r.position(),
          (data.byteSize() - r.position()) + " bytes after the state pickle (expected: none)");
    }
    return new DataRecord(meta, state);
  }

  /**
   * Decodes only the class metadata, the first pickle.
   *
   * @throws PickleException if it is not class metadata
   */
  public static ClassMeta decodeClassMeta(MemorySegment data) {
    return classMeta(reader(data, GlobalResolver.opaque()));
  }

  /**
   * Where the state pickle starts: the length of the class pickle.
   *
   * @throws PickleException if the bytes do not start with a pickle
   */
  public static long statePickleOffset(MemorySegment data) {
    PickleReader r = reader(data, GlobalResolver.opaque());
    r.load();
    return r.position();
  }

  /**
   * Encodes the record as ZODB's {@code ObjectWriter} does: one memo for both pickles, and one byte
   * string per referenced oid, so a repeated reference becomes a memo {@code BINGET}.
   *
   * @throws PickleException if the state holds something that cannot be pickled
   */
  public byte[] encode() {
    return writer().toByteArray();
  }

  /** {@link #encode} without the final copy: a view of the pickle writer's buffer. */
  public Bytes encodeBytes() {
    return writer().toBytes();
  }

  private PickleWriter writer() {
    Map<Oid, Bytes> oids = new HashMap<>();
    PickleWriter w =
        new PickleWriter(
            true,
            v ->
                v instanceof Reference ref
                    ? Reference.toPid(
                        ref, o -> oids.computeIfAbsent(o, k -> Bytes.wrap(k.toBytes())))
                    : null);
    w.dump(classMeta.toValue());
    w.dump(state);
    return w;
  }

  /** A reader of a record from its start, whose persistent ids become {@link Reference}s. */
  private static PickleReader reader(MemorySegment data, GlobalResolver globals) {
    return new PickleReader(data, 0, globals, Reference::fromPid);
  }

  private static ClassMeta classMeta(PickleReader r) {
    long at = r.position();
    Object v = r.load();
    try {
      return ClassMeta.fromValue(v);
    } catch (PickleException e) {
      throw new PickleException(at, e.getMessage(), e);
    }
  }
}
