package org.zbig.zodb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * A ZODB object id: an unsigned 64-bit number, 8 bytes big-endian on the wire and in records. The
 * root object is {@link #ROOT} ({@code z64}); storages hand out {@code max + 1}.
 *
 * @param value the id as a signed long whose bits are the unsigned id
 */
public record Oid(long value) implements Comparable<Oid> {
  /** The root object's id, 8 zero bytes ({@code ZODB.utils.z64}). */
  public static final Oid ROOT = new Oid(0);

  /** Length of the byte encoding. */
  public static final int BYTES = 8;

  private static final ValueLayout.OfLong BE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  /**
   * Longs in byte arrays. Not a segment over the array: where the JIT did not inline the segment's
   * access (deep in a reply's encoding), every id written cost a segment object and a slow access,
   * 4% of the server's time under small loads.
   */
  private static final VarHandle BE_LONG_IN_ARRAY =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /**
   * Decodes 8 big-endian bytes.
   *
   * @throws IllegalArgumentException if {@code bytes} is not 8 bytes long
   */
  public static Oid of(byte[] bytes) {
    return new Oid(bytesToLong(checkLength(bytes)));
  }

  /**
   * Decodes the 8 big-endian bytes of a segment.
   *
   * @throws IllegalArgumentException if {@code bytes} is not 8 bytes long
   */
  public static Oid of(MemorySegment bytes) {
    if (bytes.byteSize() != BYTES) {
      throw new IllegalArgumentException(
          "oid: " + bytes.byteSize() + " bytes (expected: " + BYTES + ")");
    }
    return new Oid(bytes.get(BE_LONG, 0));
  }

  /**
   * Parses 16 hex digits, as {@link #toHex()} prints them.
   *
   * @throws IllegalArgumentException if {@code hex} is not 16 hex digits
   */
  public static Oid ofHex(String hex) {
    return of(parseHex16("oid", hex));
  }

  /** The 8 big-endian bytes. */
  public byte[] toBytes() {
    return longToBytes(value);
  }

  /** 16 lower-case hex digits, the way ZODB prints ids. */
  public String toHex() {
    return HexFormat.of().toHexDigits(value);
  }

  @Override
  public int compareTo(Oid other) {
    return Long.compareUnsigned(value, other.value);
  }

  @Override
  public String toString() {
    return "0x" + toHex();
  }

  /** The big-endian long in the first 8 bytes of {@code b} (their count checked by the caller). */
  static long bytesToLong(byte[] b) {
    return (long) BE_LONG_IN_ARRAY.get(b, 0);
  }

  static byte[] longToBytes(long v) {
    byte[] b = new byte[BYTES];
    BE_LONG_IN_ARRAY.set(b, 0, v);
    return b;
  }

  static byte[] parseHex16(String what, String hex) {
    if (hex.length() != 2 * BYTES) {
      throw new IllegalArgumentException(
          what + ": '" + hex + "' (expected: " + 2 * BYTES + " hex digits)");
    }
    try {
      return HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          what + ": '" + hex + "' (expected: " + 2 * BYTES + " hex digits)", e);
    }
  }

  private static byte[] checkLength(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException(
          "oid: " + bytes.length + " bytes (expected: " + BYTES + ")");
    }
    return bytes;
  }

  // equals and hashCode are written out rather than generated: a record's generated methods are
  // linked at their first call through an invokedynamic bootstrap that the launcher's AOT cache
  // does not keep, several ms of every command's start (docs/benchmarks.md, start-up)
  @Override
  public boolean equals(Object o) {
    return o instanceof Oid other && value == other.value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }
}
