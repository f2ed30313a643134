package org.zbig.server.storage;

import java.util.Locale;
import org.rocksdb.CompressionType;

/**
 * How a RocksDB storage compresses what it writes: its tables (keys, transaction records, small
 * records) and its blob files (records of 64 KiB and more, such as array blocks). Files already
 * written keep the compression they were written with; a change applies to new files, which
 * compaction and blob garbage collection write over time.
 */
public enum Compression {
  /** Nothing compressed. */
  NONE(CompressionType.NO_COMPRESSION),
  /** LZ4: fast, gives up little on data that does not compress. */
  LZ4(CompressionType.LZ4_COMPRESSION),
  /** Zstandard: smaller files, slower writes. */
  ZSTD(CompressionType.ZSTD_COMPRESSION);

  /** What a storage uses unless told otherwise (chosen by measurement: docs/benchmarks.md). */
  public static final Compression DEFAULT = LZ4;

  private final CompressionType rocks;

  Compression(CompressionType rocks) {
    this.rocks = rocks;
  }

  CompressionType rocksType() {
    return rocks;
  }

  /**
   * Parses {@code none}, {@code lz4} or {@code zstd} (any case).
   *
   * @throws IllegalArgumentException naming the text and the choices
   */
  public static Compression parse(String text) {
    try {
      return valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "compression: '" + text + "' (expected: none, lz4 or zstd)", e);
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
