package org.zbig.wire;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * {@code tpc_begin(txn_id, user, description, ext, tid, status)}: opens the connection's
 * transaction; no lock and no tid yet (docs/protocol.md §3.3.1).
 *
 * @param txn the client's transaction id
 * @param user {@code b"<path> <name>"}
 * @param description the description
 * @param extension the extension dict, as plain data ({@link PickleValues#plainDict})
 * @param tid the tid to commit with (copy and restore tools), or null
 * @param status {@code " "} normal, {@code "p"} packed
 */
public record TpcBegin(
    long txn, Bytes user, Bytes description, Map<String, Object> extension, Tid tid, String status)
    implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "tpc_begin";

  /** Checks the fields. */
  public TpcBegin {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(extension, "extension");
    Objects.requireNonNull(status, "status");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(txn, user, description, extension, WireValues.bytesOrNone(tid), status);
  }

  static TpcBegin decode(Args a) {
    a.arity(4, 6);
    return new TpcBegin(
        a.integer(0, "txn"),
        a.bytesOrText(1, "user"),
        a.bytesOrText(2, "description"),
        PickleValues.plainDict(a.dict(3, "extension"), TransactionInfo.MAX_EXTENSION_VALUES),
        a.has(4) ? a.tidOrNull(4, "tid") : null,
        a.has(5) ? a.text(5, "status") : " ");
  }
}
