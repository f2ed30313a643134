package org.zbig.client.bigfile;

import org.zbig.client.Persistent;
import org.zbig.client.btree.IOBTree;
import org.zbig.zodb.error.CorruptRecordException;

/**
 * {@code wendelin.bigfile.file_zodb.ZBlk1}: a block as chunks, its state the reference to its own
 * IOBTree of {@link ZData} keyed by byte offset (docs/formats.md §4.3).
 */
public final class ZBlk1 extends Persistent {
  private IOBTree chunktab;

  /** A block with an empty chunk table. */
  public ZBlk1() {
    chunktab = new IOBTree();
  }

  /** The chunk table. */
  public IOBTree chunktab() {
    readAccess();
    return chunktab;
  }

  void touch() {
    markChanged(); // stored with every change of its chunks, so that others are invalidated
  }

  @Override
  protected Object getState() {
    return chunktab;
  }

  @Override
  protected void setState(Object state) {
    if (!(state instanceof IOBTree t)) {
      throw new CorruptRecordException(
          oid(), serial(), "ZBlk1 state is not an IOBTree reference: " + state, null);
    }
    chunktab = t;
  }

  @Override
  protected void clearState() {
    chunktab = null;
  }
}
