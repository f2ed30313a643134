package org.zbig.zodb.error;

import org.zbig.zodb.Oid;

/** No revision of the object exists, or none before the asked tid (ZODB {@code POSKeyError}). */
public class NoSuchObjectException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.POSKeyError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.POSKeyError";

  private final transient Oid oid;

  /** The object {@code oid} does not exist. */
  public NoSuchObjectException(Oid oid) {
    super("no such object: oid " + oid.toHex());
    this.oid = oid;
  }

  /** The missing object. */
  public Oid oid() {
    return oid;
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
