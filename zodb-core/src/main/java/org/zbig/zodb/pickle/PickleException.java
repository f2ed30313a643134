package org.zbig.zodb.pickle;

/**
 * A pickle could not be decoded or encoded: the one exception the reader throws for any input,
 * saying what was wrong and at which byte offset.
 */
public class PickleException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long offset;

  /**
   * A failure at {@code offset} of the input, or {@code -1} when not tied to a position.
   *
   * @param offset byte offset in the input, or -1
   * @param message what was wrong, naming the value and the expectation
   */
  public PickleException(long offset, String message) {
    this(offset, message, null);
  }

  /** As {@link #PickleException(long, String)}, with a cause. */
  public PickleException(long offset, String message, Throwable cause) {
    super(offset < 0 ? message : "pickle at offset " + offset + ": " + message, cause);
    this.offset = offset;
  }

  /** The byte offset in the input where decoding failed, or -1. */
  public long offset() {
    return offset;
  }
}
