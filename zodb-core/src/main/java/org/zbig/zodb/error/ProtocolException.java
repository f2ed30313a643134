package org.zbig.zodb.error;

/** A peer broke the ZEO protocol: bad frame, handshake or message (ZEO {@code ProtocolError}). */
public class ProtocolException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZEO.Exceptions.ProtocolError}. */
  public static final String PYTHON_NAME = "ZEO.Exceptions.ProtocolError";

  /** An error with a message. */
  public ProtocolException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
