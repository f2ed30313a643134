package org.zbig.zodb.error;

/**
 * A two-phase-commit call came out of order or named the wrong transaction (ZODB {@code
 * StorageTransactionError}).
 */
public class StorageTransactionException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.StorageTransactionError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.StorageTransactionError";

  /** An error with a message. */
  public StorageTransactionException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public StorageTransactionException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
