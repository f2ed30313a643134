package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code checkCurrentSerialInTransaction(oid, serial, txn_id)}: at vote, {@code oid} must still be
 * at {@code serial} (docs/protocol.md §3.3.3).
 *
 * @param oid the object
 * @param serial the revision the client read
 * @param txn the client's transaction id
 */
public record CheckCurrentSerial(Oid oid, Tid serial, long txn) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "checkCurrentSerialInTransaction";

  /** Checks the fields. */
  public CheckCurrentSerial {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(serial), txn);
  }

  static CheckCurrentSerial decode(Args a) {
    a.arity(3, 3);
    return new CheckCurrentSerial(a.oid(0, "oid"), a.tid(1, "serial"), a.integer(2, "txn"));
  }
}
