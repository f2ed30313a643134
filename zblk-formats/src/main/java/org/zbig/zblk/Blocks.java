package org.zbig.zblk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Trailing-zero trimming, shared by both formats (docs/formats.md §4.2, 4.3). */
public final class Blocks {
  private Blocks() {}

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
