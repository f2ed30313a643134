package org.zbig.client.btree;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Supplier;
import org.zbig.client.Persistent;
import org.zbig.zodb.btree.BTreeClass;
import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BucketConflicts;
import org.zbig.zodb.btree.BucketState;
import org.zbig.zodb.btree.TreeState;
import org.zbig.zodb.error.CorruptRecordException;

/**
 * A persistent B-tree mapping, read and written like Python's {@code BTrees} (docs/formats.md §3):
 * the tree and its inner nodes are records holding children and separator keys, the buckets are
 * records of their own linked in key order, and a small tree keeps its only bucket inline.
 * Inserting splits buckets above {@code max_leaf_size} and nodes above {@code max_internal_size} at
 * the same points Python does (the root at twice that), and deleting removes emptied buckets and
 * nodes without rebalancing, so Python's BTrees read our trees and we read theirs. Only changed
 * records are stored.
 *
 * <p>Keys are {@code Long} for the {@code I} and {@code L} families and {@code Long}, {@code
 * String} or {@code Bytes} (one kind per tree) for {@code O}; values of {@code O} families are any
 * pickle value or persistent object.
 */
public abstract class BTree extends Persistent {
  private final BTreeClass type;
  private final Supplier<? extends BTree> newNode;
  private final Supplier<? extends Bucket> newBucket;
  // children are all buckets or all trees; an only bucket without an oid is stored inline
  private List<Persistent> children = new ArrayList<>();
  private List<Object> separators = new ArrayList<>();
  private Bucket firstBucket;

  /**
   * A new empty tree.
   *
   * @param type its class
   * @param newNode makes an empty tree of the same class (for inner nodes)
   * @param newBucket makes an empty bucket of the family
   */
  protected BTree(
      BTreeClass type, Supplier<? extends BTree> newNode, Supplier<? extends Bucket> newBucket) {
    this.type = type;
    this.newNode = newNode;
    this.newBucket = newBucket;
  }

  private BTreeFamily family() {
    return type.family();
  }

  private int compare(Object a, Object b) {
    return family().compareKeys(a, b);
  }

  /** The child whose subtree holds {@code key}: the last one whose separator is at most it. */
  private int childIndex(Object key) {
    int lo = 0;
    int hi = separators.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (compare(separators.get(mid), key) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private boolean isInline() {
    return children.size() == 1
        && children.getFirst() instanceof Bucket b
        && b.oid() == null
        && b.connection() == null;
  }

  /** The bucket where {@code key} is or would be. */
  private Bucket bucketFor(Object key) {
    BTree node = this;
    for (; ; ) {
      node.activate();
      if (node.children.isEmpty()) {
        return null;
      }
      Persistent child = node.children.get(node.childIndex(key));
      if (child instanceof Bucket b) {
        b.activate();
        return b;
      }
      node = (BTree) child;
    }
  }

  /** The value of {@code key}, or null. */
  public Object get(Object key) {
    family().checkKey(key);
    Bucket b = bucketFor(key);
    if (b == null) {
      return null;
    }
    int i = b.find(key);
    return i >= 0 ? b.values.get(i) : null;
  }

  /** Whether {@code key} is present. */
  public boolean containsKey(Object key) {
    family().checkKey(key);
    Bucket b = bucketFor(key);
    return b != null && b.find(key) >= 0;
  }

  /**
   * Sets {@code key} to {@code value}.
   *
   * @return the previous value, or null
   * @throws IllegalArgumentException if the key or value is not of the tree's family
   */
  public Object put(Object key, Object value) {
    family().checkKey(key);
    family().checkValue(value);
    readAccess();
    if (children.isEmpty()) {
      Bucket b = newBucket.get();
      b.keys.add(key);
      b.values.add(value);
      writeAccess();
      children.add(b);
      firstBucket = b;
      return null;
    }
    Object[] previous = new Object[1];
    insert(key, value, previous);
    if (children.size() >= 2 * family().maxInternalSize()) {
      splitRoot();
    }
    return previous[0];
  }

  /** Inserts below this node; splits the child that grew too big. */
  private void insert(Object key, Object value, Object[] previous) {
    int i = childIndex(key);
    Persistent child = children.get(i);
    if (child instanceof Bucket b) {
      b.activate();
      int at = b.find(key);
      if (at >= 0) {
        previous[0] = b.values.get(at);
        if (previous[0] == value) {
          return;
        }
        changedBucket(b);
        b.values.set(at, value);
        return;
      }
      changedBucket(b);
      b.keys.add(-at - 1, key);
      b.values.add(-at - 1, value);
      if (b.keys.size() > family().maxLeafSize()) {
        splitBucket(i, b);
      }
    } else {
      BTree t = (BTree) child;
      t.activate();
      t.insert(key, value, previous);
      if (t.children.size() > family().maxInternalSize()) {
        splitNode(i, t);
      }
    }
  }

  /** Marks a change of bucket {@code b}: the bucket's record, or this tree's if it is inline. */
  private void changedBucket(Bucket b) {
    if (b.oid() == null && b.connection() == null) {
      writeAccess(); // the inline bucket is part of this record
    } else {
      b.markChanged();
    }
  }

  private void splitBucket(int i, Bucket left) {
    int mid = left.keys.size() / 2;
    Bucket right = newBucket.get();
    right.keys.addAll(left.keys.subList(mid, left.keys.size()));
    right.values.addAll(left.values.subList(mid, left.values.size()));
    left.keys.subList(mid, left.keys.size()).clear();
    left.values.subList(mid, left.values.size()).clear();
    right.next = left.next;
    left.next = right;
    writeAccess(); // children change; an inline bucket becomes a record of its own
    children.add(i + 1, right);
    separators.add(i, right.keys.getFirst());
  }

  private void splitNode(int i, BTree left) {
    BTree right = newNode.get();
    int mid = left.children.size() / 2;
    right.children.addAll(left.children.subList(mid, left.children.size()));
    right.separators.addAll(left.separators.subList(mid, left.separators.size()));
    Object up = left.separators.get(mid - 1);
    left.children.subList(mid, left.children.size()).clear();
    left.separators.subList(mid - 1, left.separators.size()).clear();
    right.firstBucket = leftmostBucket(right);
    left.markChanged();
    writeAccess();
    children.add(i + 1, right);
    separators.add(i, up);
  }

  /** The root grew to twice the node size: its children move down into two new nodes. */
  private void splitRoot() {
    BTree all = newNode.get();
    all.children.addAll(children);
    all.separators.addAll(separators);
    all.firstBucket = firstBucket;
    writeAccess();
    children = new ArrayList<>(List.of(all));
    separators = new ArrayList<>();
    splitNode(0, all);
  }

  private static Bucket leftmostBucket(BTree t) {
    Persistent c = t.children.getFirst();
    while (c instanceof BTree inner) {
      inner.activate();
      c = inner.children.getFirst();
    }
    return (Bucket) c;
  }

  /**
   * Removes {@code key}.
   *
   * @return its value, or null if it was absent
   */
  public Object remove(Object key) {
    family().checkKey(key);
    readAccess();
    if (children.isEmpty()) {
      return null;
    }
    Object[] removed = new Object[1];
    boolean[] found = new boolean[1];
    delete(this, key, removed, found);
    return removed[0];
  }

  /** Deletes below this node; returns whether this node became empty. */
  private boolean delete(BTree root, Object key, Object[] removed, boolean[] found) {
    int i = childIndex(key);
    Persistent child = children.get(i);
    boolean childEmpty;
    if (child instanceof Bucket b) {
      b.activate();
      int at = b.find(key);
      if (at < 0) {
        return false;
      }
      found[0] = true;
      removed[0] = b.values.get(at);
      changedBucket(b);
      b.keys.remove(at);
      b.values.remove(at);
      childEmpty = b.keys.isEmpty();
      if (childEmpty) {
        unlink(root, b, key);
      }
    } else {
      BTree t = (BTree) child;
      t.activate();
      childEmpty = t.delete(root, key, removed, found);
    }
    if (!found[0]) {
      return false;
    }
    if (childEmpty) {
      writeAccess();
      children.remove(i);
      if (!separators.isEmpty()) {
        separators.remove(i == 0 ? 0 : i - 1);
      }
      if (children.isEmpty()) {
        firstBucket = null;
        return true;
      }
      firstBucket = leftmostBucket(this);
    } else if (i > 0 && compare(separators.get(i - 1), key) == 0) {
      // the separator was the removed key: it becomes the child's new smallest key
      writeAccess();
      separators.set(i - 1, minKey(child));
    }
    return false;
  }

  /**
   * Takes an emptied bucket out of the chain: its predecessor, the rightmost bucket of the nearest
   * subtree to its left on the path from the root, links to its successor.
   */
  private static void unlink(BTree root, Bucket emptied, Object key) {
    Persistent left = null;
    BTree node = root;
    for (; ; ) {
      int j = node.childIndex(key);
      if (j > 0) {
        left = node.children.get(j - 1);
      }
      Persistent child = node.children.get(j);
      if (child == emptied || !(child instanceof BTree inner)) {
        break;
      }
      inner.activate();
      node = inner;
    }
    if (left == null) {
      return; // it was the first bucket
    }
    while (left instanceof BTree t) {
      t.activate();
      left = t.children.getLast();
    }
    Bucket prev = (Bucket) left;
    prev.activate();
    root.changedBucketOf(prev);
    prev.next = emptied.next;
  }

  private void changedBucketOf(Bucket b) {
    changedBucket(b);
  }

  private static Object minKey(Persistent c) {
    while (c instanceof BTree t) {
      t.activate();
      c = t.children.getFirst();
    }
    Bucket b = (Bucket) c;
    b.activate();
    return b.keys.getFirst();
  }

  /** The number of keys (walks every bucket, as Python's {@code len} does). */
  public int size() {
    int n = 0;
    for (Bucket b = first(); b != null; b = b.next) {
      b.activate();
      n += b.keys.size();
    }
    return n;
  }

  /** Whether the tree has no keys. */
  public boolean isEmpty() {
    readAccess();
    return children.isEmpty();
  }

  private Bucket first() {
    readAccess();
    Bucket b = firstBucket;
    if (b != null) {
      b.activate();
    }
    return b;
  }

  /**
   * The smallest key.
   *
   * @throws NoSuchElementException if the tree is empty
   */
  public Object minKey() {
    Bucket b = first();
    if (b == null) {
      throw new NoSuchElementException("empty " + type);
    }
    return b.keys.getFirst();
  }

  /**
   * The largest key.
   *
   * @throws NoSuchElementException if the tree is empty
   */
  public Object maxKey() {
    readAccess();
    if (children.isEmpty()) {
      throw new NoSuchElementException("empty " + type);
    }
    Persistent c = children.getLast();
    while (c instanceof BTree t) {
      t.activate();
      c = t.children.getLast();
    }
    Bucket b = (Bucket) c;
    b.activate();
    return b.keys.getLast();
  }

  /** The entries in key order. */
  public Iterable<Map.Entry<Object, Object>> items() {
    return items(null, null);
  }

  /** The keys in key order. */
  public List<Object> keys() {
    List<Object> out = new ArrayList<>();
    items().forEach(e -> out.add(e.getKey()));
    return out;
  }

  /**
   * The entries with {@code min <= key <= max} in key order (a null bound is open), read lazily
   * bucket by bucket along the chain.
   */
  public Iterable<Map.Entry<Object, Object>> items(Object min, Object max) {
    if (min != null) {
      family().checkKey(min);
    }
    if (max != null) {
      family().checkKey(max);
    }
    return () ->
        new Iterator<>() {
          Bucket b = min == null ? first() : bucketFor(min);
          int i = b == null ? 0 : (min == null ? 0 : start(b, min));
          Map.Entry<Object, Object> ahead = advance();

          private int start(Bucket bucket, Object key) {
            int at = bucket.find(key);
            return at >= 0 ? at : -at - 1;
          }

          private Map.Entry<Object, Object> advance() {
            while (b != null) {
              b.activate();
              if (i < b.keys.size()) {
                Object k = b.keys.get(i);
                if (max != null && compare(k, max) > 0) {
                  b = null;
                  return null;
                }
                Map.Entry<Object, Object> e =
                    new AbstractMap.SimpleImmutableEntry<>(k, b.values.get(i));
                i++;
                return e;
              }
              b = b.next;
              i = 0;
            }
            return null;
          }

          @Override
          public boolean hasNext() {
            return ahead != null;
          }

          @Override
          public Map.Entry<Object, Object> next() {
            if (ahead == null) {
              throw new NoSuchElementException();
            }
            Map.Entry<Object, Object> e = ahead;
            ahead = advance();
            return e;
          }
        };
  }

  @Override
  protected Object getState() {
    if (children.isEmpty()) {
      return TreeState.EMPTY.encode();
    }
    if (isInline()) {
      Bucket b = (Bucket) children.getFirst();
      return new TreeState.Inline(new BucketState(b.keys, b.values, null)).encode();
    }
    return new TreeState.Children(
            new ArrayList<>(children),
            separators,
            firstBucket == null ? leftmostBucket(this) : firstBucket)
        .encode();
  }

  @Override
  protected void setState(Object state) {
    TreeState s;
    try {
      s = TreeState.decode(state, family(), false);
    } catch (IllegalArgumentException e) {
      throw new CorruptRecordException(oid(), serial(), type + " state: " + e.getMessage(), e);
    }
    children = new ArrayList<>();
    separators = new ArrayList<>();
    firstBucket = null;
    switch (s) {
      case TreeState.Empty e -> {}
      case TreeState.Inline in -> {
        Bucket b = newBucket.get();
        b.keys.addAll(in.bucket().keys());
        b.values.addAll(in.bucket().values());
        children.add(b);
        firstBucket = b;
      }
      case TreeState.Children c -> {
        for (Object child : c.children()) {
          if (!(child instanceof Bucket) && !(child instanceof BTree)) {
            throw new CorruptRecordException(
                oid(), serial(), type + " child: " + child + " (expected: a bucket or tree)", null);
          }
          children.add((Persistent) child);
        }
        separators.addAll(c.separators());
        if (!(c.firstBucket() instanceof Bucket fb)) {
          throw new CorruptRecordException(
              oid(),
              serial(),
              type + " firstbucket: " + c.firstBucket() + " (expected: a bucket)",
              null);
        }
        firstBucket = fb;
      }
    }
  }

  @Override
  protected void clearState() {
    children = new ArrayList<>();
    separators = new ArrayList<>();
    firstBucket = null;
  }

  /** Merges concurrent changes of an inline tree, as Python's BTrees do; others conflict. */
  @Override
  protected Object resolveConflict(Object old, Object committed, Object mine) {
    return BucketConflicts.resolveState(type, old, committed, mine);
  }

  /** The children for tests of the shape: buckets or trees. */
  List<Persistent> children() {
    readAccess();
    return Collections.unmodifiableList(children);
  }
}
