package org.zbig.wire;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code undoInfo(first, last, specification)}: like {@link UndoLog}, keeping the entries that
 * match the specification (docs/protocol.md §3.4). The specification may hold opaque objects
 * ({@code ZopeUndo.Prefix}).
 *
 * @param msgid the id the reply echoes
 * @param first index of the first entry
 * @param last end index, or minus a count
 * @param specification the filter, or null
 */
public record UndoInfo(MsgId msgid, long first, long last, Map<String, Object> specification)
    implements SyncRequest<List<Map<String, Object>>> {
  /** The method name on the wire. */
  public static final String METHOD = "undoInfo";

  /** Checks the fields. */
  public UndoInfo {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(first, last, specification);
  }

  static UndoInfo decode(MsgId msgid, Args a) {
    a.arity(2, 3);
    return new UndoInfo(
        msgid,
        a.integer(0, "first"),
        a.integer(1, "last"),
        a.has(2) ? a.dictOrNull(2, "specification") : null);
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
