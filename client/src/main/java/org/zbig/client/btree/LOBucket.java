package org.zbig.client.btree;

import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BTreeKind;

/** Python's {@code BTrees.LOBTree.LOBucket}. */
public final class LOBucket extends Bucket {
  /** An empty bucket. */
  public LOBucket() {
    super(BTreeFamily.LO.classOf(BTreeKind.BUCKET));
  }
}
