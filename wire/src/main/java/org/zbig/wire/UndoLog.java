package org.zbig.wire;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code undoLog(first, last)}: undoable transactions newest first, entries {@code first <= i <
 * last}; a negative {@code last} counts (docs/protocol.md §3.4).
 *
 * @param msgid the id the reply echoes
 * @param first index of the first entry
 * @param last end index, or minus a count
 */
public record UndoLog(MsgId msgid, long first, long last)
    implements SyncRequest<List<Map<String, Object>>> {
  /** The method name on the wire. */
  public static final String METHOD = "undoLog";

  /** Checks the fields. */
  public UndoLog {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(first, last);
  }

  static UndoLog decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    return new UndoLog(msgid, a.integer(0, "first"), a.integer(1, "last"));
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
