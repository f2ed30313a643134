package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code new_oids(n=100)}: fresh oids, at most 100 (docs/protocol.md §3.2).
 *
 * @param msgid the id the reply echoes
 * @param count how many; 0 when the client sent no argument (the server then gives its default)
 */
public record NewOids(MsgId msgid, long count) implements SyncRequest<List<Oid>> {
  /** The method name on the wire. */
  public static final String METHOD = "new_oids";

  /** Checks the fields. */
  public NewOids {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return count == 0 ? Tuple.EMPTY : Tuple.of(count);
  }

  static NewOids decode(MsgId msgid, Args a) {
    a.arity(0, 1);
    return new NewOids(msgid, a.has(0) ? a.integer(0, "count") : 0);
  }

  @Override
  public List<Oid> decodeResult(Object value) {
    return WireValues.oids(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(List<Oid> result) {
    return WireValues.oidList(result);
  }
}
