package org.zbig.server.storage;

import java.util.ArrayList;
import java.util.List;
import org.zbig.zodb.Oid;

/**
 * New oids handed out from a block reserved durably ahead: the next {@code n} oids are above every
 * oid handed out before and every stored oid the caller knows of, and only a call that passes the
 * block's end reserves a new one ({@link #BLOCK} more than it needs) through the storage, durably
 * before the oids are returned, so none is handed out twice, even across a crash. A block is left
 * for a new one when a stored oid (one a client chose, as a restore does) passes its start. At a
 * clean close the storage may give the rest back. Calls take this object's monitor only, never the
 * storage's: a group write of 2 MiB records had held up every {@code new_oids}, and the event loop
 * serving it, for its whole write and sync.
 */
final class OidBlocks {
  /** Oids reserved by one durable write beyond those a call needs. */
  static final int BLOCK = 4096;

  /** Where a storage keeps the durable mark of its reservations. */
  interface Marks {
    /**
     * Reserves {@code take} oids after {@code from}, durably; returns the last oid reserved (the
     * block is the {@code take} oids ending there).
     */
    long reserve(long from, long take);

    /** At a clean close: lowers the durable mark from {@code end} to {@code keep}, if it can. */
    void giveBack(long keep, long end);
  }

  private final Marks marks;
  private long handedOut; // the highest oid handed out
  private long reserved; // the end of the block (0: none yet)

  /** Blocks whose durable mark is {@code reserved}: oids up to it may have been handed out. */
  OidBlocks(Marks marks, long reserved) {
    this.marks = marks;
    this.handedOut = reserved;
    this.reserved = reserved;
  }

  /** The next {@code n} oids above those handed out and above {@code stored}. */
  synchronized List<Oid> next(int n, long stored) {
    long from = Math.max(handedOut, stored);
    if (Long.compareUnsigned(from + n, reserved) > 0) {
      long take = (long) n + BLOCK;
      long end = marks.reserve(from, take);
      from = end - take;
      reserved = end;
    }
    handedOut = from + n;
    List<Oid> out = new ArrayList<>(n);
    for (long o = from + 1; o <= handedOut; o++) {
      out.add(new Oid(o));
    }
    return out;
  }

  /** At a clean close: the rest of the block back, above {@code stored}. */
  synchronized void giveBack(long stored) {
    long keep = Math.max(handedOut, stored);
    if (Long.compareUnsigned(reserved, keep) > 0) {
      marks.giveBack(keep, reserved);
      reserved = keep;
    }
  }
}
