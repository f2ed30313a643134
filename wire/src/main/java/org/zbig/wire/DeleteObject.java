package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code deleteObject(oid, serial, txn_id)}: writes a deletion record (docs/protocol.md §3.3.4).
 *
 * @param oid the object
 * @param serial the revision the client read
 * @param txn the client's transaction id
 */
public record DeleteObject(Oid oid, Tid serial, long txn) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "deleteObject";

  /** Checks the fields. */
  public DeleteObject {
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

  static DeleteObject decode(Args a) {
    a.arity(3, 3);
    return new DeleteObject(a.oid(0, "oid"), a.tid(1, "serial"), a.integer(2, "txn"));
  }
}
