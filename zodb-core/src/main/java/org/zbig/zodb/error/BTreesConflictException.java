package org.zbig.zodb.error;

/**
 * BTree conflict resolution found changes it cannot merge (ZODB {@code BTreesConflictError}). The
 * four numbers are Python's: positions in the three states and a reason code.
 */
public class BTreesConflictException extends ConflictException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.BTreesConflictError}. */
  public static final String PYTHON_NAME = "ZODB.POSException.BTreesConflictError";

  private final long p1;
  private final long p2;
  private final long p3;
  private final long reason;

  /** A BTrees conflict with Python's positions and reason code. */
  public BTreesConflictException(long p1, long p2, long p3, long reason) {
    super(
        "BTrees conflict error at " + p1 + "/" + p2 + "/" + p3 + ": reason " + reason,
        null,
        null,
        null,
        null);
    this.p1 = p1;
    this.p2 = p2;
    this.p3 = p3;
    this.reason = reason;
  }

  /** Position in the old state (the one both changes started from). */
  public long p1() {
    return p1;
  }

  /** Position in the committed state. */
  public long p2() {
    return p2;
  }

  /** Position in this transaction's state. */
  public long p3() {
    return p3;
  }

  /** Python's reason code. */
  public long reason() {
    return reason;
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
