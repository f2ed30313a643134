package org.zbig.client.virtmem;

/** A page cache failure: RAM that cannot be allocated, a budget exhausted, a failed load. */
public class VirtMemException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure described by {@code message}. */
  public VirtMemException(String message) {
    super(message);
  }

  /** A failure described by {@code message}, caused by {@code cause}. */
  public VirtMemException(String message, Throwable cause) {
    super(message, cause);
  }
}
