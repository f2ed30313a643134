package org.zbig.server.storage;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.DataRecord;

/**
 * How a big record is cut for server-side dedup: a head and a tail kept in the revision itself, and
 * between them 4 KiB chunks named by their SHA-256, each distinct chunk stored once.
 *
 * <p>The chunks are aligned to the biggest byte string of the record's state (a ZBlk0 block's data,
 * a zero-copy slice as {@link DataRecord#decode} reads it), not to the record's first byte: a block
 * whose trimmed length changed has a new length field in its pickle header, and every chunk after
 * it would shift otherwise. What is not a pickle, or has no byte string of at least half the
 * record, is chunked from its first byte. A partial last chunk stays in the tail.
 *
 * <p>SHA-256, not a faster non-cryptographic hash: a client that could make two chunks collide
 * could make its own bytes appear in another client's record.
 */
final class Chunks {
  private Chunks() {}

  /** The size of a chunk. */
  static final int CHUNK = 4096;

  /** The size of a chunk's name. */
  static final int HASH = 32;

  /** The smallest record cut into chunks. */
  static final int MIN_RECORD = 8 << 10;

  /**
   * Where a record's chunks are: {@code count} chunks from byte {@code from}.
   *
   * @param from the first chunk's offset in the record
   * @param count the number of whole chunks
   */
  record Cut(int from, int count) {
    /** The offset after the last chunk. */
    int to() {
      return from + count * CHUNK;
    }
  }

  /** Where {@code record} is cut, or null if it is too small to be worth it. */
  static Cut cut(Bytes record) {
    int n = record.length();
    if (n < MIN_RECORD) {
      return null;
    }
    int from = 0;
    int len = n;
    Bytes payload = biggestByteString(record.segment());
    if (payload != null && payload.length() >= n / 2) {
      long at = payload.segment().address() - record.segment().address();
      if (at >= 0 && at + payload.length() <= n) { // a slice of the record, as the reader makes
        from = (int) at;
        len = payload.length();
      }
    }
    int count = len / CHUNK;
    return count == 0 ? null : new Cut(from, count);
  }

  /** The SHA-256 of {@code chunk}. */
  static byte[] hash(MemorySegment chunk) {
    MessageDigest sha = SHA256.get();
    sha.update(chunk.asByteBuffer());
    return sha.digest();
  }

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(() -> {
        try {
          return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
      });

  /** The longest byte string in the record's state, or null (not a record, or none). */
  private static Bytes biggestByteString(MemorySegment record) {
    try {
      Bytes[] best = {null};
      walk(DataRecord.decode(record).state(), best, 0);
      return best[0];
    } catch (RuntimeException notARecord) { // PickleException, or bytes that end too soon
      return null;
    }
  }

  private static void walk(Object v, Bytes[] best, int depth) {
    if (depth > 8) {
      return;
    }
    switch (v) {
      case Bytes b -> {
        if (best[0] == null || b.length() > best[0].length()) {
          best[0] = b;
        }
      }
      case Tuple t -> t.items().forEach(x -> walk(x, best, depth + 1));
      case List<?> l -> l.forEach(x -> walk(x, best, depth + 1));
      case Map<?, ?> m -> m.values().forEach(x -> walk(x, best, depth + 1));
      case null, default -> {}
    }
  }

  /** A chunk's key: {@code 'c'} and its hash. */
  static byte[] key(byte[] hash) {
    return ByteBuffer.allocate(1 + HASH).put(KvStorage.CHUNK).put(hash).array();
  }
}
