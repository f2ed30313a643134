package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.CurrentRecord;

/**
 * {@code record_iternext(next)}: the first current record at or after {@code next}
 * (docs/protocol.md §3.2).
 *
 * @param msgid the id the reply echoes
 * @param next where to start, or null for the smallest oid
 */
public record RecordIternext(MsgId msgid, Oid next) implements SyncRequest<CurrentRecord> {
  /** The method name on the wire. */
  public static final String METHOD = "record_iternext";

  /** Checks the fields. */
  public RecordIternext {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytesOrNone(next));
  }

  static RecordIternext decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new RecordIternext(msgid, a.oidOrNull(0, "next"));
  }

  @Override
  public CurrentRecord decodeResult(Object value) {
    List<Object> t = WireValues.sequence(value, 4, METHOD + " result");
    return new CurrentRecord(
        WireValues.oid(t.get(0), METHOD + " oid"),
        WireValues.tid(t.get(1), METHOD + " tid"),
        WireValues.bytes(t.get(2), METHOD + " data"),
        WireValues.oidOrNull(t.get(3), METHOD + " next"));
  }

  @Override
  public Object encodeResult(CurrentRecord result) {
    return Tuple.of(
        WireValues.bytes(result.oid()),
        WireValues.bytes(result.tid()),
        result.data(),
        WireValues.bytesOrNone(result.next()));
  }
}
