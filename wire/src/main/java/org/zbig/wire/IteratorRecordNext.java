package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.RecordInfo;

/**
 * {@code iterator_record_next(riid)}: the next record, or None once exhausted (docs/protocol.md
 * §3.6).
 *
 * @param msgid the id the reply echoes
 * @param iid the record iterator id
 */
public record IteratorRecordNext(MsgId msgid, long iid)
    implements SyncRequest<Optional<RecordInfo>> {
  /** The method name on the wire. */
  public static final String METHOD = "iterator_record_next";

  /** Checks the fields. */
  public IteratorRecordNext {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(iid);
  }

  static IteratorRecordNext decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new IteratorRecordNext(msgid, a.integer(0, "iid"));
  }

  @Override
  public Optional<RecordInfo> decodeResult(Object value) {
    if (value == null) {
      return Optional.empty();
    }
    List<Object> t = WireValues.sequence(value, 4, METHOD + " result");
    return Optional.of(
        new RecordInfo(
            WireValues.oid(t.get(0), METHOD + " oid"),
            WireValues.tid(t.get(1), METHOD + " tid"),
            WireValues.bytesOrNull(t.get(2), METHOD + " data"),
            WireValues.tidOrNull(t.get(3), METHOD + " data_txn")));
  }

  @Override
  public Object encodeResult(Optional<RecordInfo> result) {
    return result
        .map(r ->
            (Object)
                Tuple.of(
                    WireValues.bytes(r.oid()),
                    WireValues.bytes(r.tid()),
                    r.data(),
                    WireValues.bytesOrNone(r.dataTxn())))
        .orElse(null);
  }
}
