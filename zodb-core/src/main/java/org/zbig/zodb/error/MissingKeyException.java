package org.zbig.zodb.error;

/** A key was not found (Python {@code KeyError}). */
public class MissingKeyException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code builtins.KeyError}. */
  public static final String PYTHON_NAME = "builtins.KeyError";

  private final transient Object key;

  /** {@code key} was not found; the key is a pickle value (see {@code org.zbig.zodb.pickle}). */
  public MissingKeyException(Object key) {
    super("key not found: " + key);
    this.key = key;
  }

  /** The missing key. */
  public Object key() {
    return key;
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
