package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * What both formats share (docs/formats.md §4.2, 4.3): trailing-zero trimming, and how their
 * records start.
 */
public final class Blocks {
  private Blocks() {}

  /**
   * What a record of class {@code wendelin.bigfile.file_zodb.NAME} starts with as Python 3's pickle
   * protocol 3 and this project write it: the class pickle ({@code PROTO 3, GLOBAL, BINPUT 0,
   * STOP}), then the state pickle's {@code PROTO 3}.
   */
  static byte[] recordPrefix(String name) {
    return ("\u0080\u0003cwendelin.bigfile.file_zodb\n" + name + "\nq\u0000.\u0080\u0003")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The length of {@code data} without its trailing zero bytes. */
  public static long trimmedLength(MemorySegment data) {
    long n = data.byteSize();
    // whole longs first, then bytes
    while (n >= 8 && data.get(ValueLayout.JAVA_LONG_UNALIGNED, n - 8) == 0) {
      n -= 8;
    }
    while (n > 0 && data.get(ValueLayout.JAVA_BYTE, n - 1) == 0) {
      n--;
    }
    return n;
  }
}
