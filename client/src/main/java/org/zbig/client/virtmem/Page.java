package org.zbig.client.virtmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** One block of one file in RAM. All fields are guarded by virtmem's lock. */
final class Page {
  final FileHandle file;
  final long blk;
  PageState state = PageState.EMPTY;
  long slot = -1;
  int pins; // open mappings that map it
  long checksum; // of the content as loaded or last stored, once the page is mapped writable
  boolean checksumValid;
  CompletableFuture<Void> loading; // while LOADING or LOADING_INVALIDATED: done when the load ends
  int waiters; // threads waiting for that load (tests check that a race really happened)
  boolean dropWhenFree; // dropBehind found it in use: given back once nothing uses it
  final Set<Mapping> mappings = new LinkedHashSet<>(); // the reverse map

  Page(FileHandle file, long blk) {
    this.file = file;
    this.blk = blk;
  }

  /** Whether a {@linkplain Mapping#borrowed borrowed} mapping shows it. */
  boolean inBorrowedMapping() {
    for (Mapping m : mappings) {
      if (m.isBorrowed()) {
        return true;
      }
    }
    return false;
  }

  boolean writableMapped() {
    for (Mapping m : mappings) {
      if (m.writable()) {
        return true;
      }
    }
    return false;
  }

  private static final long P1 = 0x9E3779B97F4A7C15L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;

  /**
   * A 64-bit checksum of a page's bytes, taken when it is loaded or stored and compared before it
   * is stored: pages written through a mapping are stored only if their content changed.
   */
  static long checksum(MemorySegment page) {
    // four independent lanes, so that the multiplications overlap
    long h0 = 0x27D4EB2F165667C5L;
    long h1 = 0x165667B19E3779F9L;
    long h2 = 0x85EBCA77C2B2AE63L;
    long h3 = 0xFF51AFD7ED558CCDL;
    long n = page.byteSize() / 32;
    for (long i = 0; i < n; i++) {
      long at = i * 32;
      h0 = Long.rotateLeft(h0 ^ (page.get(ValueLayout.JAVA_LONG_UNALIGNED, at) * P1), 31) * P2;
      h1 = Long.rotateLeft(h1 ^ (page.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 8) * P1), 31) * P2;
      h2 = Long.rotateLeft(h2 ^ (page.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 16) * P1), 31) * P2;
      h3 = Long.rotateLeft(h3 ^ (page.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 24) * P1), 31) * P2;
    }
    long h =
        Long.rotateLeft(h0, 1)
            + Long.rotateLeft(h1, 7)
            + Long.rotateLeft(h2, 12)
            + Long.rotateLeft(h3, 18);
    h ^= h >>> 33;
    h *= P1;
    return h ^ (h >>> 29);
  }

  @Override
  public String toString() {
    return "page " + blk + " " + state + " pins " + pins;
  }
}
