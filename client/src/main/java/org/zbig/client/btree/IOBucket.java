package org.zbig.client.btree;

import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BTreeKind;

/** Python's {@code BTrees.IOBTree.IOBucket}. */
public final class IOBucket extends Bucket {
  /** An empty bucket. */
  public IOBucket() {
    super(BTreeFamily.IO.classOf(BTreeKind.BUCKET));
  }
}
