package org.zbig.zodb.pickle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 with Python's {@code surrogatepass}: lone surrogates (which a Java string, like a Python
 * str, may hold) are encoded as 3-byte sequences and decoded back, as pickle's {@code BINUNICODE}
 * requires. Anything else that is not well-formed UTF-8 is rejected.
 */
final class Utf8 {
  private Utf8() {}

  /** Encoded length of {@code s}. */
  static long encodedLength(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Writes the encoding of {@code s} into {@code out} at {@code at}; returns the new offset. */
  static int encode(String s, byte[] out, int at) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out[at++] = (byte) c;
      } else if (c < 0x800) {
        out[at++] = (byte) (0xc0 | c >> 6);
        out[at++] = (byte) (0x80 | c & 0x3f);
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        out[at++] = (byte) (0xf0 | cp >> 18);
        out[at++] = (byte) (0x80 | cp >> 12 & 0x3f);
        out[at++] = (byte) (0x80 | cp >> 6 & 0x3f);
        out[at++] = (byte) (0x80 | cp & 0x3f);
      } else {
        out[at++] = (byte) (0xe0 | c >> 12);
        out[at++] = (byte) (0x80 | c >> 6 & 0x3f);
        out[at++] = (byte) (0x80 | c & 0x3f);
      }
    }
    return at;
  }

  /**
   * Decodes {@code length} bytes of {@code in} at {@code offset}.
   *
   * @throws PickleException naming the offset of the first malformed byte
   */
  static String decode(MemorySegment in, long offset, long length) {
    if (length <= ASCII_FAST_PATH) {
      // names (methods, modules, classes) are short and ASCII: one copy and a Latin-1 string
      byte[] b = in.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
      boolean ascii = true;
      for (byte x : b) {
        ascii &= x >= 0;
      }
      if (ascii) {
        return new String(b, StandardCharsets.ISO_8859_1);
      }
    }
    StringBuilder sb = new StringBuilder((int) Math.min(length, 1 << 16));
    long end = offset + length;
    long i = offset;
    while (i < end) {
      int b0 = u8(in, i);
      if (b0 < 0x80) {
        sb.append((char) b0);
        i++;
        continue;
      }
      int need;
      int cp;
      int min;
      if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 1;
        cp = b0 & 0x1f;
        min = 0x80;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 2;
        cp = b0 & 0x0f;
        min = 0x800;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 3;
        cp = b0 & 0x07;
        min = 0x10000;
      } else {
        throw malformed(i, b0);
      }
      if (i + need >= end) {
        throw new PickleException(i, "truncated UTF-8 sequence in str");
      }
      for (int k = 1; k <= need; k++) {
        int b = u8(in, i + k);
        if ((b & 0xc0) != 0x80) {
          throw malformed(i + k, b);
        }
        cp = cp << 6 | b & 0x3f;
      }
      if (cp < min || cp > Character.MAX_CODE_POINT) {
        throw new PickleException(i, "overlong or out-of-range UTF-8 sequence in str");
      }
      sb.appendCodePoint(cp);
      i += need + 1;
    }
    return sb.toString();
  }

  /** Strings up to this many bytes are first tried as ASCII. */
  private static final long ASCII_FAST_PATH = 256;

  private static int u8(MemorySegment in, long at) {
    return Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, at));
  }

  private static PickleException malformed(long at, int b) {
    return new PickleException(at, "invalid UTF-8 byte 0x" + Integer.toHexString(b) + " in str");
  }
}
