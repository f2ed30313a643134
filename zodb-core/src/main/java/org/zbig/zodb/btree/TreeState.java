package org.zbig.zodb.btree;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * The state of a tree node ({@code XYBTree}, {@code XYTreeSet}) in its three shapes
 * (docs/formats.md §3.3):
 *
 * <pre>
 * None                                              {@link Empty}: the empty tree
 * (((k0, v0, ...),),)                               {@link Inline}: one bucket without an oid,
 *                                                   its state nested in two more 1-tuples
 * ((c0, key1, c1, ..., key_n-1, c_n-1), firstbucket) {@link Children}: children are buckets or
 *                                                   trees of this class; also the one-child
 *                                                   form ((c0,), firstbucket) when c0 has an oid
 * </pre>
 *
 * {@code key_i} separates {@code c_i-1} (keys below it) from {@code c_i} (keys at or above it).
 */
public sealed interface TreeState {
  /** The empty tree. */
  Empty EMPTY = new Empty();

  /** The state value to pickle: {@code None} (null) or a {@link Tuple}. */
  Object encode();

  /** The empty tree: state None. */
  record Empty() implements TreeState {
    @Override
    public Object encode() {
      return null;
    }
  }

  /**
   * A tree whose only child is a bucket without an oid, stored inside the tree's record.
   *
   * @param bucket the bucket, not empty
   */
  record Inline(BucketState bucket) implements TreeState {
    /**
     * Checks the bucket.
     *
     * @throws IllegalArgumentException if it is empty (an empty tree is {@link Empty})
     */
    public Inline {
      Objects.requireNonNull(bucket, "bucket");
      if (bucket.size() == 0) {
        throw new IllegalArgumentException(
            "inline bucket: empty (expected: at least one item; an empty tree is None)");
      }
    }

    @Override
    public Tuple encode() {
      return Tuple.of(Tuple.of(bucket.encode()));
    }
  }

  /**
   * A tree node with persistent children.
   *
   * @param children the children, all buckets or all trees of the same class, as the caller
   *     represents them (e.g. {@link org.zbig.zodb.record.Reference}s); at least one
   * @param separators the keys between the children, {@code children.size() - 1} of them, strictly
   *     increasing
   * @param firstBucket the leftmost bucket of this subtree (child 0 itself at the lowest level)
   */
  record Children(List<Object> children, List<Object> separators, Object firstBucket)
      implements TreeState {
    /**
     * Copies the lists and checks them.
     *
     * @throws IllegalArgumentException if there is no child, a child is None or a tuple (an inline
     *     bucket state), the separator count is not one less than the child count, or the
     *     separators do not strictly increase
     */
    public Children {
      children = Collections.unmodifiableList(new ArrayList<>(children));
      separators = Collections.unmodifiableList(new ArrayList<>(separators));
      Objects.requireNonNull(firstBucket, "firstBucket");
      if (children.isEmpty()) {
        throw new IllegalArgumentException(
            "tree children: none (expected: at least one; an empty tree is None)");
      }
      for (int i = 0; i < children.size(); i++) {
        if (children.get(i) == null || children.get(i) instanceof Tuple) {
          throw new IllegalArgumentException(
              "tree child "
                  + i
                  + ": "
                  + BucketState.summary(children.get(i))
                  + " (expected: a bucket or tree reference; only a 1-tuple state inlines its"
                  + " bucket)");
        }
      }
      if (separators.size() != children.size() - 1) {
        throw new IllegalArgumentException(
            "tree separators: "
                + separators.size()
                + " (expected: one less than the "
                + children.size()
                + " children)");
      }
      BucketState.checkIncreasing("tree separator", separators);
    }

    @Override
    public Tuple encode() {
      Object[] items = new Object[2 * children.size() - 1];
      for (int i = 0; i < children.size(); i++) {
        if (i > 0) {
          items[2 * i - 1] = separators.get(i - 1);
        }
        items[2 * i] = children.get(i);
      }
      return Tuple.of(Tuple.of(items), firstBucket);
    }
  }

  /**
   * Decodes a tree (or, if {@code set}, tree set) state, checking its shape and key order.
   *
   * @param state the decoded state pickle; references inside stay as they are
   * @param set whether the buckets hold keys only
   * @throws IllegalArgumentException if the state has none of the three shapes, or keys do not
   *     strictly increase; the message names the value and the expectation
   */
  static TreeState decode(Object state, boolean set) {
    if (state == null) {
      return EMPTY;
    }
    if (!(state instanceof Tuple t) || t.size() < 1 || t.size() > 2) {
      throw new IllegalArgumentException(
          "tree state: "
              + BucketState.summary(state)
              + " (expected: None, (((items),),) or (children, firstbucket))");
    }
    if (!(t.get(0) instanceof Tuple items)) {
      throw new IllegalArgumentException(
          "tree children: " + BucketState.summary(t.get(0)) + " (expected: a tuple)");
    }
    if (t.size() == 1) {
      if (items.size() != 1 || !(items.get(0) instanceof Tuple bucket)) {
        throw new IllegalArgumentException(
            "tree state (children,) with "
                + (items.size() == 1
                    ? "child " + BucketState.summary(items.get(0))
                    : items.size() + " children")
                + " (expected: one inline bucket state, or a firstbucket after the children)");
      }
      return new Inline(BucketState.decode(bucket, set));
    }
    if (items.size() % 2 == 0) {
      throw new IllegalArgumentException(
          "tree children: tuple of "
              + items.size()
              + " (expected: an odd number: child, key, child, ..., child)");
    }
    if (t.get(1) == null) {
      throw new IllegalArgumentException("tree firstbucket: None (expected: the first bucket)");
    }
    int n = (items.size() + 1) / 2;
    List<Object> children = new ArrayList<>(n);
    List<Object> separators = new ArrayList<>(n - 1);
    for (int i = 0; i < items.size(); i++) {
      (i % 2 == 0 ? children : separators).add(items.get(i));
    }
    return new Children(children, separators, t.get(1));
  }

  /**
   * Decodes as {@link #decode(Object, boolean)} and checks every key (and inline value) against
   * {@code family}.
   *
   * @throws IllegalArgumentException as {@link #decode(Object, boolean)}, or if a key or value is
   *     not of the family's types
   */
  static TreeState decode(Object state, BTreeFamily family, boolean set) {
    TreeState s = decode(state, set);
    switch (s) {
      case Empty e -> {}
      case Inline i -> i.bucket().check(family);
      case Children c -> {
        for (int i = 0; i < c.separators().size(); i++) {
          try {
            family.checkKey(c.separators().get(i));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                "tree separator " + i + " of " + family.module() + ": " + e.getMessage(), e);
          }
        }
      }
    }
    return s;
  }
}
