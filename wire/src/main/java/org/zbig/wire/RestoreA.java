package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code restorea(oid, serial, data, prev_txn, txn_id)}: a raw restore without conflict checks
 * (docs/protocol.md §3.3.5).
 *
 * @param oid the object
 * @param serial the tid of the new record
 * @param data the record, or null for an undone creation
 * @param prevTxn the transaction whose data this equals, or null
 * @param txn the client's transaction id
 */
public record RestoreA(Oid oid, Tid serial, Bytes data, Tid prevTxn, long txn)
    implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "restorea";

  /** Checks the fields. */
  public RestoreA {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(
        WireValues.bytes(oid),
        WireValues.bytes(serial),
        data,
        WireValues.bytesOrNone(prevTxn),
        txn);
  }

  static RestoreA decode(Args a) {
    a.arity(5, 5);
    return new RestoreA(
        a.oid(0, "oid"),
        a.tid(1, "serial"),
        a.bytesOrNull(2, "data"),
        a.tidOrNull(3, "prevTxn"),
        a.integer(4, "txn"));
  }
}
