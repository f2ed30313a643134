package org.zbig.zodb.error;

import java.util.List;
import org.zbig.zodb.Oid;

/** Several objects block an undo (ZODB {@code MultipleUndoErrors}). */
public class MultipleUndoException extends UndoException {
  private static final long serialVersionUID = 1L;

  /** Python class of this exception: {@code ZODB.POSException.MultipleUndoErrors}. */
  public static final String PYTHON_NAME = "ZODB.POSException.MultipleUndoErrors";

  /**
   * One object that blocks the undo and why.
   *
   * @param oid the object
   * @param reason why it cannot be undone
   */
  public record Failure(Oid oid, String reason) {}

  private final transient List<Failure> failures;

  /** An undo blocked by {@code failures}, which must not be empty. */
  public MultipleUndoException(List<Failure> failures) {
    super("undo failed for " + failures.size() + " objects: " + failures, null);
    this.failures = List.copyOf(failures);
  }

  /** The objects that block the undo, with reasons. */
  public List<Failure> failures() {
    return failures;
  }

  @Override
  public String pythonName() {
    return PYTHON_NAME;
  }
}
