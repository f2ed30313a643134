package org.zbig.zodb.error;

/**
 * Root of the errors with ZODB meaning. Each subclass stands for one Python exception class, named
 * by {@link #pythonName()}: that name is what travels in a ZEO error reply (docs/protocol.md §2.5),
 * so a Java server and a Python client, or a Python server and a Java client, understand each
 * other's errors.
 */
public class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.StorageError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.StorageError";

  /** An error with a message. */
  public StorageException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The dotted name of the Python exception class this error stands for on the wire. */
  public String pythonName() {
    return PYTHON_NAME;
  }
}
