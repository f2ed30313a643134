package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * {@code iterator_next(iid)}: the next transaction, or None once exhausted (docs/protocol.md §3.6).
 *
 * @param msgid the id the reply echoes
 * @param iid the iterator id
 */
public record IteratorNext(MsgId msgid, long iid)
    implements SyncRequest<Optional<TransactionInfo>> {
  /** The method name on the wire. */
  public static final String METHOD = "iterator_next";

  /** Checks the fields. */
  public IteratorNext {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(iid);
  }

  static IteratorNext decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new IteratorNext(msgid, a.integer(0, "iid"));
  }

  @Override
  public Optional<TransactionInfo> decodeResult(Object value) {
    if (value == null) {
      return Optional.empty();
    }
    List<Object> t = WireValues.sequence(value, 5, METHOD + " result");
    return Optional.of(
        new TransactionInfo(
            WireValues.tid(t.get(0), METHOD + " tid"),
            WireValues.text(t.get(1), METHOD + " status"),
            WireValues.bytesOrText(t.get(2), METHOD + " user"),
            WireValues.bytesOrText(t.get(3), METHOD + " description"),
            WireValues.dict(t.get(4), METHOD + " extension")));
  }

  @Override
  public Object encodeResult(Optional<TransactionInfo> result) {
    return result
        .map(t ->
            (Object)
                Tuple.of(
                    WireValues.bytes(t.tid()),
                    t.status(),
                    t.user(),
                    t.description(),
                    t.extension()))
        .orElse(null);
  }
}
