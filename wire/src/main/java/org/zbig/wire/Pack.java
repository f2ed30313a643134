package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code pack(t, wait)}: removes history older than {@code t} (docs/protocol.md §3.5).
 *
 * @param msgid the id the reply echoes
 * @param time UTC seconds since the epoch
 * @param block the {@code wait} argument: whether to reply only once packed
 */
public record Pack(MsgId msgid, double time, boolean block) implements SyncRequest<Void> {
  /** The method name on the wire. */
  public static final String METHOD = "pack";

  /** Checks the fields. */
  public Pack {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(time, block);
  }

  static Pack decode(MsgId msgid, Args a) {
    a.arity(1, 2);
    return new Pack(msgid, a.number(0, "time"), !a.has(1) || a.flag(1, "wait"));
  }

  @Override
  public Void decodeResult(Object value) {
    return null;
  }

  @Override
  public Object encodeResult(Void result) {
    return null;
  }
}
