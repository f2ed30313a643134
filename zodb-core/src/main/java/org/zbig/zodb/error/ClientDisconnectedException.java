package org.zbig.zodb.error;

/** The connection to the storage server is down (ZEO {@code ClientDisconnected}). */
public class ClientDisconnectedException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZEO.Exceptions.ClientDisconnected}. */
  public static final String PYTHON_NAME = "ZEO.Exceptions.ClientDisconnected";

  /** An error with a message. */
  public ClientDisconnectedException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public ClientDisconnectedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
