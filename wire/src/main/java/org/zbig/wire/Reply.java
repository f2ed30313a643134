package org.zbig.wire;

import java.util.Objects;

/**
 * A successful reply {@code (msgid, 0, '.reply', value)}: the return value itself, not wrapped
 * (docs/protocol.md §2.1). {@link SyncRequest#decodeResult} turns the value into the request's
 * result type.
 *
 * @param msgid the id of the request answered
 * @param value the return value as wire values
 */
public record Reply(MsgId msgid, Object value) implements Message {
  /** Checks the id. */
  public Reply {
    Objects.requireNonNull(msgid, "msgid");
  }
}
