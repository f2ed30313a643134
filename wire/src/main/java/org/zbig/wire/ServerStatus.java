package org.zbig.wire;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code server_status()}: informational statistics (docs/protocol.md §3.1).
 *
 * @param msgid the id the reply echoes
 */
public record ServerStatus(MsgId msgid) implements SyncRequest<Map<String, Object>> {
  /** The method name on the wire. */
  public static final String METHOD = "server_status";

  /** Checks the fields. */
  public ServerStatus {
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

  static ServerStatus decode(MsgId msgid, Args a) {
    a.arity(0, 0);
    return new ServerStatus(msgid);
  }

  @Override
  public Map<String, Object> decodeResult(Object value) {
    return WireValues.dict(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(Map<String, Object> result) {
    return result;
  }
}
