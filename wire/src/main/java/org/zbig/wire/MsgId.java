package org.zbig.wire;

import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.Tuple;

/**
 * The id that pairs a reply with its request (docs/protocol.md §2.1): an int for most calls, the
 * tuple {@code (oid, tid)} for the {@code loadBefore} calls of Python clients, 0 for one-way calls,
 * -1 for the heartbeat. A server keeps it as decoded and echoes it unchanged, structure and types
 * included (docs/protocol.md §0, item 4).
 *
 * @param value a {@link Long}, short {@link Bytes}, or a small {@link Tuple} of those
 */
public record MsgId(Object value) {
  /** The id of one-way calls. */
  public static final MsgId ONE_WAY = new MsgId(0L);

  /** The id of the heartbeat. */
  public static final MsgId HEARTBEAT = new MsgId(-1L);

  /** The longest byte string accepted as an id or as an item of a tuple id. */
  public static final int MAX_BYTES = 64;

  /** The most items of a tuple id. */
  public static final int MAX_ITEMS = 4;

  /**
   * Checks the value: an int, a byte string of at most {@link #MAX_BYTES} bytes, or a tuple of at
   * most {@link #MAX_ITEMS} such (ZEO sends ints, and {@code (oid, tid)} for {@code loadBefore}).
   * The check is constant-time, and so is everything done with an id that passed it (it is hashed,
   * compared and echoed in the reply).
   *
   * @throws ProtocolException naming the value otherwise
   */
  public MsgId {
    if (!(isAtom(value) || value instanceof Tuple t && isSmallTuple(t))) {
      throw new ProtocolException(
          "msgid: "
              + PickleValues.typeName(value)
              + " "
              + WireValues.repr(value)
              + " (expected: an int, bytes of at most "
              + MAX_BYTES
              + ", or a tuple of at most "
              + MAX_ITEMS
              + " of those)");
    }
  }

  private static boolean isSmallTuple(Tuple t) {
    if (t.size() > MAX_ITEMS) {
      return false;
    }
    for (int i = 0; i < t.size(); i++) {
      if (!isAtom(t.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAtom(Object v) {
    return v instanceof Long || v instanceof Bytes b && b.length() <= MAX_BYTES;
  }

  /** An int id. */
  public static MsgId of(long id) {
    return new MsgId(id);
  }

  /** The tuple id Python clients give {@code loadBefore(oid, tid)}. */
  public static MsgId of(Oid oid, Tid tid) {
    return new MsgId(Tuple.of(WireValues.bytes(oid), WireValues.bytes(tid)));
  }

  @Override
  public String toString() {
    return WireValues.repr(value);
  }

  // equals and hashCode are written out rather than generated: a record's generated methods are
  // linked at their first call through an invokedynamic bootstrap that the launcher's AOT cache
  // does not keep, several ms of every command's start (docs/benchmarks.md, start-up)
  @Override
  public boolean equals(Object o) {
    return o instanceof MsgId m && value.equals(m.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
