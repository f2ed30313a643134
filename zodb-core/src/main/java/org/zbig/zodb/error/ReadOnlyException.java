package org.zbig.zodb.error;

/** A write was attempted on a read-only storage or connection (ZODB {@code ReadOnlyError}). */
public class ReadOnlyException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.ReadOnlyError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.ReadOnlyError";

  /** An error with a message. */
  public ReadOnlyException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public ReadOnlyException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
