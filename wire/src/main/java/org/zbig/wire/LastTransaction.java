package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code lastTransaction()}: the last committed tid, z64 if none (docs/protocol.md §3.1).
 *
 * @param msgid the id the reply echoes
 */
public record LastTransaction(MsgId msgid) implements SyncRequest<Tid> {
  /** The method name on the wire. */
  public static final String METHOD = "lastTransaction";

  /** Checks the fields. */
  public LastTransaction {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.EMPTY;
  }

  static LastTransaction decode(MsgId msgid, Args a) {
    a.arity(0, 0);
    return new LastTransaction(msgid);
  }

  @Override
  public Tid decodeResult(Object value) {
    return WireValues.tid(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(Tid result) {
    return WireValues.bytes(result);
  }
}
