package org.zbig.client.bigfile;

import org.zbig.client.Persistent;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;

/** {@code wendelin.bigfile.file_zodb.ZBlk0}: a whole block, trailing zeros trimmed (spec 4.2). */
public final class ZBlk0 extends Persistent {
  private Bytes data = Bytes.EMPTY;

  /** An empty block. */
  public ZBlk0() {}

  /** The trimmed data. */
  public Bytes data() {
    readAccess();
    return data;
  }

  void setData(Bytes data) {
    writeAccess();
    this.data = data;
  }

  @Override
  protected Object getState() {
    return data;
  }

  @Override
  protected void setState(Object state) {
    if (!(state instanceof Bytes b)) {
      throw new CorruptRecordException(oid(), serial(), "ZBlk0 state is not bytes: " + state, null);
    }
    data = b;
  }

  @Override
  protected void clearState() {
    data = Bytes.EMPTY;
  }
}
