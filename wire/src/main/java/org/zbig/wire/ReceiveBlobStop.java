package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code receiveBlobStop(oid, serial)}: a blob download is complete (docs/protocol.md §3.7).
 *
 * @param oid the object
 * @param serial the revision
 */
public record ReceiveBlobStop(Oid oid, Tid serial) implements ServerCall {
  /** The method name on the wire. */
  public static final String METHOD = "receiveBlobStop";

  /** Checks the fields. */
  public ReceiveBlobStop {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(serial));
  }

  static ReceiveBlobStop decode(Args a) {
    a.arity(2);
    return new ReceiveBlobStop(a.oid(0, "oid"), a.tid(1, "serial"));
  }
}
