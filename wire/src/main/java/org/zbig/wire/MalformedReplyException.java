package org.zbig.wire;

import org.zbig.zodb.error.ProtocolException;

/**
 * A reply whose msgid is readable but whose value is not acceptable (too large once shared parts
 * are counted, nested too deeply, not the shape of an error reply): the client fails the one call
 * it answers with this error and keeps the connection, as a server answers a malformed request.
 */
public final class MalformedReplyException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  private final transient MsgId msgid;

  /**
   * A malformed reply.
   *
   * @param msgid the msgid it answers
   * @param cause what is wrong with its value
   */
  public MalformedReplyException(MsgId msgid, ProtocolException cause) {
    super("malformed reply from the server: " + cause.getMessage(), cause);
    this.msgid = msgid;
  }

  /** The msgid of the call it answers. */
  public MsgId msgid() {
    return msgid;
  }
}
