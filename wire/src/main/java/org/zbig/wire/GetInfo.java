package org.zbig.wire;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code get_info()}: the storage description dict (docs/protocol.md §4.3).
 *
 * @param msgid the id the reply echoes
 */
public record GetInfo(MsgId msgid) implements SyncRequest<Map<String, Object>> {
  /** The method name on the wire. */
  public static final String METHOD = "get_info";

  /**
   * Our server's key of the tid up to which the storage is packed (8 bytes): a historical
   * connection before it is refused. Python's ZEO client ignores it.
   */
  public static final String PACKED_TID = "zbig_packed_tid";

  /** Checks the fields. */
  public GetInfo {
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

  static GetInfo decode(MsgId msgid, Args a) {
    a.arity(0, 0);
    return new GetInfo(msgid);
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
