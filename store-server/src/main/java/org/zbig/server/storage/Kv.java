package org.zbig.server.storage;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * An ordered byte-key store, the layer under {@link KvStorage}: keys compare as unsigned bytes.
 * {@link RocksKv} keeps it in RocksDB, {@link MemoryKv} in a skip list.
 */
interface Kv extends AutoCloseable {
  /** The value of {@code key}, or null. */
  byte[] get(byte[] key);

  /**
   * As {@link #get(byte[], ByteBuffer)} for many keys at once (where the store can, in one call):
   * the value of {@code keys[i]} into {@code into[i]}.
   *
   * @return each value's whole length, or -1 where a key has no value
   */
  default int[] getAll(List<byte[]> keys, List<ByteBuffer> into) {
    int[] out = new int[keys.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = get(keys.get(i), into.get(i));
    }
    return out;
  }

  /** Whether {@code key} has a value (without reading it, where the store can). */
  default boolean contains(byte[] key) {
    return get(key) != null;
  }

  /**
   * Copies the value of {@code key}, or as much of it as fits, into {@code into} from its position
   * (which stays; its limit is not changed).
   *
   * @return the value's whole length, or -1 if the key has no value
   */
  default int get(byte[] key, ByteBuffer into) {
    byte[] v = get(key);
    if (v == null) {
      return -1;
    }
    into.put(into.position(), v, 0, Math.min(v.length, into.remaining()));
    return v.length;
  }

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

  /**
   * Gives back the disk space of the values deleted so far, where the store keeps it until asked
   * (after a pack), then writes {@code then} (durably, before a close can end the store): a mark
   * that the work is done. A store that frees space at once only writes {@code then}.
   *
   * @return false if closing the store stopped it (and {@code then} was not written)
   */
  default boolean reclaim(Map<byte[], byte[]> then) {
    write(then, true);
    return true;
  }

  /**
   * What the store holds in memory, in bytes, by part (for the status page); empty for a store that
   * does not say.
   */
  default Map<String, Long> memory() {
    return Map.of();
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
    default int value(ByteBuffer into) {
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
