package org.zbig.wire;

import java.util.Objects;
import java.util.Optional;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code register(storage_name, read_only)}: selects the storage and subscribes the connection to
 * its invalidations; the result is the last committed tid (docs/protocol.md §3.1). A third argument
 * (credentials of ZEO 5.0-5.4 clients) is accepted and dropped.
 *
 * @param msgid the id the reply echoes
 * @param storage the storage name, {@code "1"} by default
 * @param readOnly whether the client only reads
 */
public record Register(MsgId msgid, String storage, boolean readOnly)
    implements SyncRequest<Optional<Tid>> {
  /** The method name on the wire. */
  public static final String METHOD = "register";

  /** Checks the fields. */
  public Register {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(storage, "storage");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(storage, readOnly);
  }

  static Register decode(MsgId msgid, Args a) {
    a.arity(2, 3);
    return new Register(msgid, a.text(0, "storage"), a.flag(1, "readOnly"));
  }

  @Override
  public Optional<Tid> decodeResult(Object value) {
    return Optional.ofNullable(WireValues.tidOrNull(value, METHOD + " result"));
  }

  @Override
  public Object encodeResult(Optional<Tid> result) {
    return WireValues.bytesOrNone(result.orElse(null));
  }
}
