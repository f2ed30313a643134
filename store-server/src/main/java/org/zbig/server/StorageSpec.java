package org.zbig.server;

import java.nio.file.Path;
import java.util.Objects;
import org.zbig.server.storage.Compression;

/**
 * One more named storage a server serves besides its main one: clients pick it by the name they
 * pass to {@code register} (ZEO's {@code <zeo>} with several storage sections).
 *
 * @param name the name clients register with
 * @param data its data folder (RocksDB), null for an in-memory storage
 * @param readOnly whether every write to it fails with ReadOnlyError
 * @param compression how its RocksDB files are compressed ({@link Compression#DEFAULT} if null)
 * @param dedup whether its big records are stored as deduplicated chunks
 */
public record StorageSpec(
    String name, Path data, boolean readOnly, Compression compression, boolean dedup) {
  private static final String FORM =
      "NAME=DIR[,read-only][,compression=none|lz4|zstd][,dedup=on|off]";

  /** Checks the name; no compression means the default. */
  public StorageSpec {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("storage name: '' (expected: a non-empty name)");
    }
    compression = compression == null ? Compression.DEFAULT : compression;
  }

  /** A storage compressed as by default, without dedup. */
  public StorageSpec(String name, Path data, boolean readOnly) {
    this(name, data, readOnly, null, false);
  }

  /** A storage without dedup. */
  public StorageSpec(String name, Path data, boolean readOnly, Compression compression) {
    this(name, data, readOnly, compression, false);
  }

  private static final String DEDUP = ",dedup=";
  private static final String COMPRESSION = ",compression=";

  /** The value of a trailing {@code option} ({@code ,name=value}) of {@code dir}, or null. */
  private static String trailing(String dir, String option) {
    int i = dir.lastIndexOf(option);
    return i >= 0 && dir.indexOf(',', i + 1) < 0 ? dir.substring(i + option.length()) : null;
  }

  /**
   * Parses the command line's {@code NAME=DIR}, with {@code ,read-only}, {@code
   * ,compression=none|lz4|zstd} and {@code ,dedup=on|off} after it in any order.
   *
   * @throws IllegalArgumentException naming {@code text} and the expected form
   */
  public static StorageSpec parse(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException("storage: '" + text + "' (expected: " + FORM + ")");
    }
    String dir = text.substring(eq + 1);
    boolean readOnly = false;
    Compression compression = null;
    boolean dedup = false;
    for (; ; ) {
      String v = trailing(dir, DEDUP);
      if (v != null) {
        if (!v.equals("on") && !v.equals("off")) {
          throw new IllegalArgumentException(
              "storage: '" + text + "': dedup '" + v + "' (expected: " + FORM + ")");
        }
        dedup = v.equals("on");
        dir = dir.substring(0, dir.length() - DEDUP.length() - v.length());
        continue;
      }
      if (dir.endsWith(",read-only")) {
        readOnly = true;
        dir = dir.substring(0, dir.length() - ",read-only".length());
        continue;
      }
      v = trailing(dir, COMPRESSION);
      if (v != null) {
        try {
          compression = Compression.parse(v);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "storage: '" + text + "': " + e.getMessage() + " (expected: " + FORM + ")", e);
        }
        dir = dir.substring(0, dir.length() - COMPRESSION.length() - v.length());
        continue;
      }
      break;
    }
    if (dir.isEmpty()) {
      throw new IllegalArgumentException("storage: '" + text + "' (expected: " + FORM + ")");
    }
    return new StorageSpec(
        text.substring(0, eq), Path.of(dir).toAbsolutePath(), readOnly, compression, dedup);
  }
}
