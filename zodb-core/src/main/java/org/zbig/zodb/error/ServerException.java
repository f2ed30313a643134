package org.zbig.zodb.error;

/**
 * A server error of a Python class that has no more specific Java counterpart (ZEO {@code
 * ServerException}): keeps the remote class name and payload as they came.
 */
public class ServerException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZEO.Exceptions.ServerException}. */
  public static final String PYTHON_NAME = "ZEO.Exceptions.ServerException";

  private final String remoteClassName;
  private final transient Object payload;

  /**
   * A remote error.
   *
   * @param remoteClassName dotted Python class name sent by the server
   * @param payload the error payload as decoded (a pickle value)
   */
  public ServerException(String remoteClassName, Object payload) {
    super(remoteClassName + ": " + payload);
    this.remoteClassName = remoteClassName;
    this.payload = payload;
  }

  /** The dotted Python class name the server sent. */
  public String remoteClassName() {
    return remoteClassName;
  }

  /** The payload the server sent. */
  public Object payload() {
    return payload;
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
