package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code ping()}: a pure round trip (docs/protocol.md §3.1).
 *
 * @param msgid the id the reply echoes
 */
public record Ping(MsgId msgid) implements SyncRequest<Void> {
  /** The method name on the wire. */
  public static final String METHOD = "ping";

  /** Checks the fields. */
  public Ping {
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

  static Ping decode(MsgId msgid, Args a) {
    a.arity(0, 0);
    return new Ping(msgid);
  }

  @Override
  public Void decodeResult(Object value) {
    return null;
  }

  @Override
  public Object encodeResult(Void result) {
    return null;
  }
}
