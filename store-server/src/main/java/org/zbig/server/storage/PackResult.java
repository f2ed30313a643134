package org.zbig.server.storage;

/**
 * What a pack removed.
 *
 * @param revisions object revisions removed
 * @param objects objects removed with all their revisions
 * @param transactions transactions left without records and removed
 * @param bytes bytes of record data removed
 */
public record PackResult(long revisions, long objects, long transactions, long bytes) {
  /** Nothing removed. */
  public static final PackResult NOTHING = new PackResult(0, 0, 0, 0);
}
