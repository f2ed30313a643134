package org.zbig.client.btree;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.zbig.client.Persistent;
import org.zbig.zodb.btree.BTreeClass;
import org.zbig.zodb.btree.BucketConflicts;
import org.zbig.zodb.btree.BucketState;
import org.zbig.zodb.error.CorruptRecordException;

/**
 * A B-tree leaf: sorted keys with their values and the link to the next bucket in key order
 * (docs/formats.md §3.2). Buckets are used through their {@link BTree}; on their own they are
 * records.
 */
public abstract class Bucket extends Persistent {
  final BTreeClass type;
  List<Object> keys = new ArrayList<>();
  List<Object> values = new ArrayList<>();
  Bucket next;

  /** A new empty bucket of {@code type}. */
  protected Bucket(BTreeClass type) {
    this.type = type;
  }

  /** The index of {@code key}, or {@code -(insertion point) - 1}. */
  int find(Object key) {
    return Collections.binarySearch(keys, key, type.family().keyComparator());
  }

  int size() {
    readAccess();
    return keys.size();
  }

  @Override
  protected Object getState() {
    return new BucketState(keys, values, next).encode();
  }

  @Override
  protected void setState(Object state) {
    BucketState s;
    try {
      s = BucketState.decode(state, type.family(), false);
    } catch (IllegalArgumentException e) {
      throw new CorruptRecordException(oid(), serial(), type + " state: " + e.getMessage(), e);
    }
    keys = new ArrayList<>(s.keys());
    values = new ArrayList<>(s.values());
    if (s.next() != null && !(s.next() instanceof Bucket)) {
      throw new CorruptRecordException(
          oid(), serial(), type + " next: " + s.next() + " (expected: a bucket)", null);
    }
    next = (Bucket) s.next();
  }

  @Override
  protected void clearState() {
    keys = new ArrayList<>();
    values = new ArrayList<>();
    next = null;
  }

  /** Merges concurrent changes of different keys, as Python's BTrees do. */
  @Override
  protected Object resolveConflict(Object old, Object committed, Object mine) {
    return BucketConflicts.resolveState(type, old, committed, mine);
  }
}
