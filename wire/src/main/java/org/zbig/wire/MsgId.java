package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.Tuple;

/**
 * The id that pairs a reply with its request (protocol spec 2.1): an int for most calls, the tuple
 * {@code (oid, tid)} for the {@code loadBefore} calls of Python clients, 0 for one-way calls, -1
 * for the heartbeat. A server keeps it as decoded and echoes it unchanged, structure and types
 * included (spec 0, item 4).
 *
 * @param value a {@link Long} or a hashable {@link Tuple}
 */
public record MsgId(Object value) {
  /** The id of one-way calls. */
  public static final MsgId ONE_WAY = new MsgId(0L);

  /** The id of the heartbeat. */
  public static final MsgId HEARTBEAT = new MsgId(-1L);

  /** Checks the value. */
  public MsgId {
    Objects.requireNonNull(value, "value");
    if (!(value instanceof Long || value instanceof Tuple t && t.isHashable())) {
      throw new ProtocolException(
          "msgid: "
              + PickleValues.typeName(value)
              + " "
              + WireValues.repr(value)
              + " (expected: int or hashable tuple)");
    }
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
}
