package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code tpc_finish(txn_id)}: makes the voted transaction durable and visible; the result is its
 * tid (docs/protocol.md §3.3.9).
 *
 * @param msgid the id the reply echoes
 * @param txn the client's transaction id
 */
public record TpcFinish(MsgId msgid, long txn) implements SyncRequest<Tid> {
  /** The method name on the wire. */
  public static final String METHOD = "tpc_finish";

  /** Checks the fields. */
  public TpcFinish {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(txn);
  }

  static TpcFinish decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new TpcFinish(msgid, a.integer(0, "txn"));
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
