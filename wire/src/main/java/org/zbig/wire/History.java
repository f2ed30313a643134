package org.zbig.wire;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code history(oid, size)}: at most {@code size} revisions, newest first, as dicts
 * (docs/protocol.md §3.2, 5.9). {@code size} defaults to 1.
 *
 * @param msgid the id the reply echoes
 * @param oid the object
 * @param size the maximum number of revisions
 */
public record History(MsgId msgid, Oid oid, long size)
    implements SyncRequest<List<Map<String, Object>>> {
  /** The method name on the wire. */
  public static final String METHOD = "history";

  /** Checks the fields. */
  public History {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(oid, "oid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), size);
  }

  static History decode(MsgId msgid, Args a) {
    a.arity(1, 2);
    return new History(msgid, a.oid(0, "oid"), a.has(1) ? a.integer(1, "size") : 1);
  }

  @Override
  public List<Map<String, Object>> decodeResult(Object value) {
    return WireValues.dicts(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(List<Map<String, Object>> result) {
    return result;
  }
}
