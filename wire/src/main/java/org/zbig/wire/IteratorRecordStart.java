package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code iterator_record_start(txn_iid, tid)}: opens an iterator over the records of the
 * transaction last returned by {@code iterator_next(txn_iid)} (docs/protocol.md §3.6).
 *
 * @param msgid the id the reply echoes
 * @param iid the transaction iterator id
 * @param tid the tid of that transaction
 */
public record IteratorRecordStart(MsgId msgid, long iid, Tid tid) implements SyncRequest<Long> {
  /** The method name on the wire. */
  public static final String METHOD = "iterator_record_start";

  /** Checks the fields. */
  public IteratorRecordStart {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(tid, "tid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(iid, WireValues.bytes(tid));
  }

  static IteratorRecordStart decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    return new IteratorRecordStart(msgid, a.integer(0, "iid"), a.tid(1, "tid"));
  }

  @Override
  public Long decodeResult(Object value) {
    return WireValues.integer(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(Long result) {
    return result;
  }
}
