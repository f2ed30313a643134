package org.zbig.client.btree;

import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BTreeKind;

/** Python's {@code BTrees.LOBTree.LOBTree}. */
public final class LOBTree extends BTree {
  /** An empty tree. */
  public LOBTree() {
    super(BTreeFamily.LO.classOf(BTreeKind.BTREE), LOBTree::new, LOBucket::new);
  }
}
