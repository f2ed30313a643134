package org.zbig.zodb.btree;

/** The four classes of a B-tree family (docs/formats.md §3.1): trees and buckets, maps and sets. */
public enum BTreeKind {
  /** {@code XYBTree}: a tree node mapping keys to values; state as docs/formats.md §3.3. */
  BTREE("BTree", true, false),
  /** {@code XYBucket}: a leaf of an {@code XYBTree}; state as docs/formats.md §3.2. */
  BUCKET("Bucket", false, false),
  /** {@code XYTreeSet}: a tree node of a set; state as 3.3 with set buckets. */
  TREE_SET("TreeSet", true, true),
  /** {@code XYSet}: a leaf of an {@code XYTreeSet}: keys only. */
  SET("Set", false, true);

  private final String suffix;
  private final boolean tree;
  private final boolean set;

  BTreeKind(String suffix, boolean tree, boolean set) {
    this.suffix = suffix;
    this.tree = tree;
    this.set = set;
  }

  /** The class name after the family prefix: {@code BTree}, {@code Bucket}, .... */
  public String suffix() {
    return suffix;
  }

  /** Whether this is a tree node ({@link TreeState}) rather than a leaf ({@link BucketState}). */
  public boolean isTree() {
    return tree;
  }

  /** Whether the leaves hold keys only. */
  public boolean isSet() {
    return set;
  }
}
