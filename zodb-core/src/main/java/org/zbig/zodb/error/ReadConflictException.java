package org.zbig.zodb.error;

import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * An object a transaction read (and asked to stay current) changed before the transaction committed
 * (ZODB {@code ReadConflictError}); raised by {@code checkCurrentSerialInTransaction} and never
 * resolvable.
 */
public class ReadConflictException extends ConflictException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.ReadConflictError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.ReadConflictError";

  /** ZODB's default message. */
  public static final String DEFAULT_MESSAGE = "database read conflict error";

  /** A read conflict; see {@link ConflictException#ConflictException} for the arguments. */
  public ReadConflictException(
      String message, Oid oid, Tid committedSerial, Tid readSerial, String className) {
    super(message, oid, committedSerial, readSerial, className);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
