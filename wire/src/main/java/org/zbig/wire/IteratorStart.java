package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code iterator_start(start, stop)}: opens a transaction iterator over {@code start <= tid <=
 * stop} (docs/protocol.md §3.6).
 *
 * @param msgid the id the reply echoes
 * @param start lower bound or null
 * @param stop upper bound or null
 */
public record IteratorStart(MsgId msgid, Tid start, Tid stop) implements SyncRequest<Long> {
  /** The method name on the wire. */
  public static final String METHOD = "iterator_start";

  /** Checks the fields. */
  public IteratorStart {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytesOrNone(start), WireValues.bytesOrNone(stop));
  }

  static IteratorStart decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    return new IteratorStart(msgid, a.tidOrNull(0, "start"), a.tidOrNull(1, "stop"));
  }

  @Override
  public Long decodeResult(Object value) {
    return WireValues.integer(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(Long result) {
    return result;
  }
}
