package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code storeBlobShared(oid, serial, data, filename, txn_id)}: a blob in a directory shared with
 * the server (docs/protocol.md §3.3.7); decoded so a server can refuse it by name.
 *
 * @param oid the object
 * @param serial the revision the client read
 * @param data the record
 * @param filename the blob file
 * @param txn the client's transaction id
 */
public record StoreBlobShared(Oid oid, Tid serial, Bytes data, String filename, long txn)
    implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "storeBlobShared";

  /** Checks the fields. */
  public StoreBlobShared {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(filename, "filename");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(serial), data, filename, txn);
  }

  static StoreBlobShared decode(Args a) {
    a.arity(5, 5);
    return new StoreBlobShared(
        a.oid(0, "oid"),
        a.serial(1, "serial"),
        a.bytes(2, "data"),
        a.text(3, "filename"),
        a.integer(4, "txn"));
  }
}
