package org.zbig.zodb.pickle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A Python {@code bytes} value: an immutable view of a byte range. Decoded byte strings are
 * zero-copy slices of the pickle's input, so a 2 MiB block costs no copy until it is used; the
 * input must therefore not change while values decoded from it are in use.
 *
 * <p>Python 2 8-bit strings ({@code STRING}, {@code BINSTRING}, {@code SHORT_BINSTRING}) decode to
 * {@code Bytes} too; {@link PickleValues#text(Object)} reads them where text is expected.
 */
public final class Bytes implements Comparable<Bytes> {
  private static final long HASHED_EDGE = 128;

  /** The empty byte string. */
  public static final Bytes EMPTY = new Bytes(MemorySegment.ofArray(new byte[0]));

  private final MemorySegment segment;
  private int hash; // 0 until computed; content hash

  private Bytes(MemorySegment segment) {
    this.segment = segment.isReadOnly() ? segment : segment.asReadOnly();
  }

  /** Wraps {@code data} without copying; the caller must not change it afterwards. */
  public static Bytes wrap(byte[] data) {
    return new Bytes(MemorySegment.ofArray(data));
  }

  /** Copies {@code data}. */
  public static Bytes copyOf(byte[] data) {
    return wrap(data.clone());
  }

  /** Views {@code segment} without copying; the caller must not change it afterwards. */
  public static Bytes view(MemorySegment segment) {
    return new Bytes(segment);
  }

  /** The UTF-8 encoding of {@code text}. */
  public static Bytes utf8(String text) {
    return wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Parses hex digits. */
  public static Bytes ofHex(String hex) {
    return wrap(HexFormat.of().parseHex(hex));
  }

  /** Number of bytes. */
  public int length() {
    return (int) segment.byteSize();
  }

  /** Whether this is {@code b''}. */
  public boolean isEmpty() {
    return segment.byteSize() == 0;
  }

  /**
   * The byte at {@code index}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= index < length()}
   */
  public byte get(int index) {
    return segment.get(ValueLayout.JAVA_BYTE, index);
  }

  /** A read-only view of the bytes (no copy). */
  public MemorySegment segment() {
    return segment;
  }

  /** A read-only buffer over the bytes (no copy). */
  public ByteBuffer asByteBuffer() {
    return segment.asByteBuffer();
  }

  /**
   * A sub-range, without copying.
   *
   * @throws IndexOutOfBoundsException if the range is not inside this value
   */
  public Bytes slice(int offset, int length) {
    return new Bytes(segment.asSlice(offset, length));
  }

  /** A fresh copy of the bytes. */
  public byte[] toByteArray() {
    return segment.toArray(ValueLayout.JAVA_BYTE);
  }

  /** Lower-case hex digits of the bytes. */
  public String toHex() {
    return HexFormat.of().formatHex(toByteArray());
  }

  /** The bytes read as Latin-1 text, one char per byte (how Python 2 strings become text). */
  public String latin1() {
    return new String(toByteArray(), StandardCharsets.ISO_8859_1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other
        && (other == this
            || other.segment.byteSize() == segment.byteSize()
                && (hash == 0 || other.hash == 0 || hash == other.hash)
                && MemorySegment.mismatch(segment, 0, length(), other.segment, 0, length()) < 0);
  }

  /**
   * A hash over the length and at most the first and last {@value #HASHED_EDGE} bytes: bounded
   * work, so a tuple holding a 2 MiB record (a {@code loadBefore} reply) hashes in nanoseconds.
   */
  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      long n = segment.byteSize();
      h = Long.hashCode(n);
      long head = Math.min(n, HASHED_EDGE);
      for (long i = 0; i < head; i++) {
        h = 31 * h + segment.get(ValueLayout.JAVA_BYTE, i);
      }
      for (long i = Math.max(head, n - HASHED_EDGE); i < n; i++) {
        h = 31 * h + segment.get(ValueLayout.JAVA_BYTE, i);
      }
      if (h == 0) {
        h = 1;
      }
      hash = h;
    }
    return h;
  }

  /** Unsigned lexicographic order, as Python compares bytes. */
  @Override
  public int compareTo(Bytes other) {
    long at = MemorySegment.mismatch(segment, 0, length(), other.segment, 0, other.length());
    if (at < 0) {
      return 0;
    }
    if (at == length() || at == other.length()) {
      return Integer.compare(length(), other.length());
    }
    return Integer.compare(
        Byte.toUnsignedInt(get((int) at)), Byte.toUnsignedInt(other.get((int) at)));
  }

  /** Python's repr for short values ({@code b'\x00ab'}), a summary for long ones. */
  @Override
  public String toString() {
    int n = length();
    StringBuilder sb = new StringBuilder("b'");
    for (int i = 0; i < Math.min(n, 64); i++) {
      int c = Byte.toUnsignedInt(get(i));
      if (c == '\\' || c == '\'') {
        sb.append('\\').append((char) c);
      } else if (c >= 0x20 && c < 0x7f) {
        sb.append((char) c);
      } else {
        sb.append("\\x").append(HexFormat.of().toHexDigits((byte) c));
      }
    }
    sb.append('\'');
    if (n > 64) {
      sb.append("...(").append(n).append(" bytes)");
    }
    return sb.toString();
  }
}
