package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code getTid(oid)}: the current tid of {@code oid} (docs/protocol.md §3.2).
 *
 * @param msgid the id the reply echoes
 * @param oid the object
 */
public record GetTid(MsgId msgid, Oid oid) implements SyncRequest<Tid> {
  /** The method name on the wire. */
  public static final String METHOD = "getTid";

  /** Checks the fields. */
  public GetTid {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(oid, "oid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid));
  }

  static GetTid decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new GetTid(msgid, a.oid(0, "oid"));
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
