package org.zbig.zodb.error;

/**
 * A value passed to a storage method is out of its domain, e.g. an unknown storage name (Python
 * {@code ValueError}).
 */
public class InvalidValueException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code builtins.ValueError}. */
  public static final String PYTHON_NAME = "builtins.ValueError";

  /** An error with a message. */
  public InvalidValueException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public InvalidValueException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
