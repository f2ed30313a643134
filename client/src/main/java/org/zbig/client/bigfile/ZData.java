package org.zbig.client.bigfile;

import org.zbig.client.Persistent;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;

/** {@code wendelin.bigfile.file_zodb.ZData}: one chunk of a ZBlk1, trailing zeros trimmed. */
public final class ZData extends Persistent {
  private Bytes data = Bytes.EMPTY;

  /** An empty chunk. */
  public ZData() {}

  ZData(Bytes data) {
    this.data = data;
  }

  /** The trimmed chunk. */
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
      throw new CorruptRecordException(oid(), serial(), "ZData state is not bytes: " + state, null);
    }
    data = b;
  }

  @Override
  protected void clearState() {
    data = Bytes.EMPTY;
  }
}
