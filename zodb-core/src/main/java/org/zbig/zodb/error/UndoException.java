package org.zbig.zodb.error;

import java.util.Optional;
import org.zbig.zodb.Oid;

/** A transaction cannot be undone (ZODB {@code UndoError}). */
public class UndoException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.UndoError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.UndoError";

  private final String reason;
  private final transient Oid oid;

  /**
   * An undo failure.
   *
   * @param message why
   * @param oid the object that blocks the undo, or null
   */
  public UndoException(String message, Oid oid) {
    super(oid == null ? message : message + " (oid " + oid.toHex() + ")");
    this.reason = message;
    this.oid = oid;
  }

  /** Why, without the oid {@link #getMessage()} adds: ZODB's {@code UndoError._reason}. */
  public String reason() {
    return reason;
  }

  /** The object that blocks the undo, if one is known. */
  public Optional<Oid> oid() {
    return Optional.ofNullable(oid);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
