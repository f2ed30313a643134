package org.zbig.client.btree;

import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BTreeKind;

/** Python's {@code BTrees.OOBTree.OOBTree}. */
public final class OOBTree extends BTree {
  /** An empty tree. */
  public OOBTree() {
    super(BTreeFamily.OO.classOf(BTreeKind.BTREE), OOBTree::new, OOBucket::new);
  }
}
