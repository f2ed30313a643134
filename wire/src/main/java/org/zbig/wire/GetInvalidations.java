package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code getInvalidations(tid)}: the oids changed after {@code tid}, or None when the server cannot
 * tell (docs/protocol.md §3.1).
 *
 * @param msgid the id the reply echoes
 * @param tid the last tid the client's cache knows
 */
public record GetInvalidations(MsgId msgid, Tid tid)
    implements SyncRequest<Optional<Invalidations>> {
  /** The method name on the wire. */
  public static final String METHOD = "getInvalidations";

  /** Checks the fields. */
  public GetInvalidations {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(tid, "tid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(tid));
  }

  static GetInvalidations decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new GetInvalidations(msgid, a.tid(0, "tid"));
  }

  @Override
  public Optional<Invalidations> decodeResult(Object value) {
    if (value == null) {
      return Optional.empty();
    }
    List<Object> pair = WireValues.sequence(value, 2, METHOD + " result");
    return Optional.of(
        new Invalidations(
            WireValues.tid(pair.get(0), METHOD + " tid"),
            WireValues.oids(pair.get(1), METHOD + " oids")));
  }

  @Override
  public Object encodeResult(Optional<Invalidations> result) {
    return result
        .map(i -> (Object) Tuple.of(WireValues.bytes(i.tid()), WireValues.oidList(i.oids())))
        .orElse(null);
  }
}
