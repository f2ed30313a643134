package org.zbig.zodb.error;

import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * A stored record does not have the shape its class requires (reported as a ZODB {@code
 * StorageError} on the wire).
 */
public class CorruptRecordException extends StorageException {
  private static final long serialVersionUID = 1L;

  private final transient Oid oid;
  private final transient Tid tid;

  /**
   * A corrupt record.
   *
   * @param oid the object, or null if unknown
   * @param tid the revision, or null if unknown
   * @param what what is wrong, naming the value and the expectation
   * @param cause the decoding failure, or null
   */
  public CorruptRecordException(Oid oid, Tid tid, String what, Throwable cause) {
    super(
        "corrupt record"
            + (oid == null ? "" : " oid " + oid.toHex())
            + (tid == null ? "" : " tid " + tid.toHex())
            + ": "
            + what,
        cause);
    this.oid = oid;
    this.tid = tid;
  }

  /** The object, or null if unknown. */
  public Oid oid() {
    return oid;
  }

  /** The revision, or null if unknown. */
  public Tid tid() {
    return tid;
  }
}
