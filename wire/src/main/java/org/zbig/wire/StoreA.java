package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code storea(oid, serial, data, txn_id)}: stores a new revision; {@code serial} is the revision
 * the client read, z64 for a new object (docs/protocol.md §3.3.2).
 *
 * @param oid the object
 * @param serial the revision the client read
 * @param data the record
 * @param txn the client's transaction id
 */
public record StoreA(Oid oid, Tid serial, Bytes data, long txn) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "storea";

  /** Checks the fields. */
  public StoreA {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(data, "data");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(serial), data, txn);
  }

  static StoreA decode(Args a) {
    a.arity(4, 4);
    return new StoreA(
        a.oid(0, "oid"), a.serial(1, "serial"), a.bytes(2, "data"), a.integer(3, "txn"));
  }
}
