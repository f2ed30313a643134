package org.zbig.client.btree;

import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BTreeKind;

/** Python's {@code BTrees.IOBTree.IOBTree}. */
public final class IOBTree extends BTree {
  /** An empty tree. */
  public IOBTree() {
    super(BTreeFamily.IO.classOf(BTreeKind.BTREE), IOBTree::new, IOBucket::new);
  }
}
