package org.zbig.client.bigfile;

import org.zbig.zodb.pickle.Bytes;

/** {@code wendelin.bigfile.file_zodb.ZData}: one chunk of a ZBlk1, trailing zeros trimmed. */
public final class ZData extends TrimmedBytes {
  /** An empty chunk. */
  public ZData() {}

  ZData(Bytes data) {
    super(data);
  }
}
