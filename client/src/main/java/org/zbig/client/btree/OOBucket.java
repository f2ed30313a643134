package org.zbig.client.btree;

import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BTreeKind;

/** Python's {@code BTrees.OOBTree.OOBucket}. */
public final class OOBucket extends Bucket {
  /** An empty bucket. */
  public OOBucket() {
    super(BTreeFamily.OO.classOf(BTreeKind.BUCKET));
  }
}
