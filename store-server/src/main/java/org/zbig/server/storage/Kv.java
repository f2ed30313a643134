package org.zbig.server.storage;

import java.util.Map;

/**
 * An ordered byte-key store, the layer under {@link KvStorage}: keys compare as unsigned bytes.
 * {@link RocksKv} keeps it in RocksDB, {@link MemoryKv} in a skip list.
 */
interface Kv extends AutoCloseable {
  /** The value of {@code key}, or null. */
  byte[] get(byte[] key);

  /**
   * Writes all entries at once, a null value deleting its key; durable before returning when {@code
   * sync}.
   */
  void write(Map<byte[], byte[]> entries, boolean sync);

  /** A cursor over a consistent view of the store, its reads checked by the store. */
  default Cursor cursor() {
    return cursor(true);
  }

  /**
   * A cursor over a consistent view of the store; without {@code checked}, values come without the
   * store's own integrity checks (for values that carry their own).
   */
  Cursor cursor(boolean checked);

  /**
   * Why this store refuses writes since a write failed (a full disk, an I/O error), or null while
   * it takes them.
   */
  default String writeFailure() {
    return null;
  }

  @Override
  void close();

  /** A position in the key order. */
  interface Cursor extends AutoCloseable {
    /** Moves to the first key at or after {@code key}. */
    void seek(byte[] key);

    /** Moves to the last key at or before {@code key}. */
    void seekForPrev(byte[] key);

    boolean valid();

    byte[] key();

    byte[] value();

    /**
     * Copies the value, or as much of it as fits, into {@code into} from its position (which stays;
     * its limit is set after the bytes copied).
     *
     * @return the value's whole length
     */
    default int value(java.nio.ByteBuffer into) {
      byte[] v = value();
      int n = Math.min(v.length, into.remaining());
      into.put(into.position(), v, 0, n).limit(into.position() + n);
      return v.length;
    }

    void next();

    void prev();

    @Override
    void close();
  }
}
