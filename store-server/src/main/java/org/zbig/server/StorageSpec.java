package org.zbig.server;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One more named storage a server serves besides its main one: clients pick it by the name they
 * pass to {@code register} (ZEO's {@code <zeo>} with several storage sections).
 *
 * @param name the name clients register with
 * @param data its data folder (RocksDB), null for an in-memory storage
 * @param readOnly whether every write to it fails with ReadOnlyError
 */
public record StorageSpec(String name, Path data, boolean readOnly) {
  /** Checks the name. */
  public StorageSpec {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("storage name: '' (expected: a non-empty name)");
    }
  }

  /**
   * Parses the command line's {@code NAME=DIR} or {@code NAME=DIR,read-only}.
   *
   * @throws IllegalArgumentException naming {@code text} and the expected form
   */
  public static StorageSpec parse(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException(
          "storage: '" + text + "' (expected: NAME=DIR or NAME=DIR,read-only)");
    }
    String dir = text.substring(eq + 1);
    boolean readOnly = dir.endsWith(",read-only");
    if (readOnly) {
      dir = dir.substring(0, dir.length() - ",read-only".length());
    }
    if (dir.isEmpty()) {
      throw new IllegalArgumentException(
          "storage: '" + text + "' (expected: NAME=DIR or NAME=DIR,read-only)");
    }
    return new StorageSpec(text.substring(0, eq), Path.of(dir).toAbsolutePath(), readOnly);
  }
}
