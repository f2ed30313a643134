package org.zbig.zodb.error;

import java.util.Optional;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * A transaction tried to change an object that another transaction changed since it was read (ZODB
 * {@code ConflictError}). Carries what ZEO's error payload carries (docs/protocol.md §2.5): the
 * oid, the serial now committed, the serial the transaction read, and the object's class.
 */
public class ConflictException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.ConflictError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.ConflictError";

  /** ZODB's default message. */
  public static final String DEFAULT_MESSAGE = "database conflict error";

  private final String reason;
  private final transient Oid oid;
  private final transient Tid committedSerial;
  private final transient Tid readSerial;
  private final String className;

  /**
   * A conflict.
   *
   * @param message the message; ZODB uses {@link #DEFAULT_MESSAGE}
   * @param oid the conflicting object, or null if unknown
   * @param committedSerial the serial currently committed for it, or null if unknown
   * @param readSerial the serial the transaction started from, or null if unknown
   * @param className the object's dotted Python class name, or null if unknown
   */
  public ConflictException(
      String message, Oid oid, Tid committedSerial, Tid readSerial, String className) {
    super(describe(message, oid, committedSerial, readSerial, className));
    this.reason = message;
    this.oid = oid;
    this.committedSerial = committedSerial;
    this.readSerial = readSerial;
    this.className = className;
  }

  /**
   * The message as given, without the object details {@link #getMessage()} adds: what travels as
   * {@code message} in a ZEO error reply.
   */
  public String rawMessage() {
    return reason;
  }

  /** The conflicting object, if known. */
  public Optional<Oid> oid() {
    return Optional.ofNullable(oid);
  }

  /** The serial now committed for the object ({@code serials[0]}), if known. */
  public Optional<Tid> committedSerial() {
    return Optional.ofNullable(committedSerial);
  }

  /** The serial the transaction read ({@code serials[1]}), if known. */
  public Optional<Tid> readSerial() {
    return Optional.ofNullable(readSerial);
  }

  /** The dotted Python class name of the object, if known. */
  public Optional<String> className() {
    return Optional.ofNullable(className);
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }

  static String describe(
      String message, Oid oid, Tid committedSerial, Tid readSerial, String className) {
    StringBuilder sb = new StringBuilder(message);
    if (oid != null) {
      sb.append(" (oid ").append(oid.toHex());
      if (className != null) {
        sb.append(", class ").append(className);
      }
      if (committedSerial != null && readSerial != null) {
        sb.append(", serial this txn started with ")
            .append(readSerial.toHex())
            .append(", serial currently committed ")
            .append(committedSerial.toHex());
      }
      sb.append(')');
    }
    return sb.toString();
  }
}
