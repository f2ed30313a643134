package org.zbig.client.bigfile;

import org.zbig.client.Persistent;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;

/**
 * A persistent object whose state is one bytes value, trailing zeros trimmed: a {@link ZBlk0} block
 * or a {@link ZData} chunk (docs/formats.md §4.2).
 */
public abstract sealed class TrimmedBytes extends Persistent permits ZBlk0, ZData {
  private Bytes data = Bytes.EMPTY;

  TrimmedBytes() {}

  TrimmedBytes(Bytes data) {
    this.data = data;
  }

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
      throw new CorruptRecordException(
          oid(), serial(), getClass().getSimpleName() + " state is not bytes: " + state, null);
    }
    data = b;
  }

  @Override
  protected void clearState() {
    data = Bytes.EMPTY;
  }
}
