package org.zbig.client.virtmem;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

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

  /**
   * A 64-bit checksum of a page's bytes, taken when it is loaded or stored and compared before it
   * is stored: pages written through a mapping are stored only if their content changed.
   *
   * <p>It is the page's CRC-32C and CRC-32 side by side. Two codes of different polynomials miss a
   * change only if its error polynomial is a multiple of both, and each alone catches every change
   * confined to 32 consecutive bits. Both are intrinsics of the JDK on every tier of the JIT and in
   * the interpreter: 17 GB/s over pages in RAM on the reference machine, where a multiply-rotate
   * loop over the page's words ran at 14 GB/s compiled by C2 and 2.5 GB/s by C1, the only compiler
   * of the command line's copying commands (docs/benchmarks.md, the command line).
   */
  static long checksum(MemorySegment page) {
    ByteBuffer bytes = page.asByteBuffer();
    CRC32C castagnoli = new CRC32C();
    castagnoli.update(bytes);
    bytes.rewind();
    CRC32 ieee = new CRC32();
    ieee.update(bytes);
    return castagnoli.getValue() << 32 | ieee.getValue();
  }

  @Override
  public String toString() {
    return "page " + blk + " " + state + " pins " + pins;
  }
}
