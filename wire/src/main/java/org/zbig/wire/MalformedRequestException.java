package org.zbig.wire;

import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.error.WrongTypeException;

/**
 * A synchronous request whose arguments do not fit its method: the message itself was readable, so
 * the server can answer it with an error reply ({@code TypeError}, as ZEO's) instead of closing the
 * connection (docs/protocol.md §1.6).
 */
public final class MalformedRequestException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  private final transient MsgId msgid;
  private final String method;

  /**
   * A malformed call.
   *
   * @param msgid the request's msgid, to answer it
   * @param method the method called
   * @param cause what is wrong with the arguments
   */
  public MalformedRequestException(MsgId msgid, String method, ProtocolException cause) {
    super(cause.getMessage(), cause);
    this.msgid = msgid;
    this.method = method;
  }

  /** The msgid to answer. */
  public MsgId msgid() {
    return msgid;
  }

  /** The method called. */
  public String method() {
    return method;
  }

  /**
   * {@code builtins.TypeError}: what ZEO's server answers when a method is called with arguments
   * that do not fit it (Python raises it calling the method), so that ZEO's clients and tests see
   * the same class.
   */
  @Override
  public String pythonName() {
    return WrongTypeException.PYTHON_NAME;
  }
}
