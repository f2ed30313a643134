package org.zbig.client.bigfile;

/**
 * {@code wendelin.bigfile.file_zodb.ZBlk0}: a whole block, trailing zeros trimmed (docs/formats.md
 * §4.2).
 */
public final class ZBlk0 extends TrimmedBytes {
  /** An empty block. */
  public ZBlk0() {}
}
