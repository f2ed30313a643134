package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code tpc_abort(txn_id)}: discards the transaction; answered None even when there is none
 * (docs/protocol.md §3.3.10).
 *
 * @param msgid the id the reply echoes
 * @param txn the client's transaction id
 */
public record TpcAbort(MsgId msgid, long txn) implements SyncRequest<Void> {
  /** The method name on the wire. */
  public static final String METHOD = "tpc_abort";

  /** Checks the fields. */
  public TpcAbort {
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

  static TpcAbort decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new TpcAbort(msgid, a.integer(0, "txn"));
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
