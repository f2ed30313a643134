package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code undoa(undo_id, txn_id)}: undoes a transaction at vote (docs/protocol.md §3.3.6).
 *
 * @param undoId the id from undoLog
 * @param txn the client's transaction id
 */
public record UndoA(Bytes undoId, long txn) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "undoa";

  /** Checks the fields. */
  public UndoA {
    Objects.requireNonNull(undoId, "undoId");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(undoId, txn);
  }

  static UndoA decode(Args a) {
    a.arity(2, 2);
    return new UndoA(a.bytes(0, "undoId"), a.integer(1, "txn"));
  }
}
