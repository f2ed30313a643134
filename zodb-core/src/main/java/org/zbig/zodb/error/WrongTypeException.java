package org.zbig.zodb.error;

/** A value of the wrong type was passed to a storage method (Python {@code TypeError}). */
public class WrongTypeException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code builtins.TypeError}. */
  public static final String PYTHON_NAME = "builtins.TypeError";

  /** An error with a message. */
  public WrongTypeException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public WrongTypeException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
