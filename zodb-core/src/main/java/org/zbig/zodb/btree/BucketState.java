package org.zbig.zodb.btree;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.zbig.zodb.pickle.Tuple;

/**
 * The state of a bucket or set: its items and the link to the next bucket (docs/formats.md §3.2).
 *
 * <pre>
 * ((k0, v0, k1, v1, ..., k_n-1, v_n-1),)         last bucket of the chain (set: (k0, k1, ...))
 * ((k0, v0, k1, v1, ..., k_n-1, v_n-1), next)    otherwise; next = the next bucket
 * </pre>
 *
 * Keys are strictly increasing in {@link KeyOrder}. Python never stores an empty bucket, but an
 * empty state is valid here: conflict resolution reads an absent state as one.
 *
 * @param keys the keys, strictly increasing (unmodifiable copy)
 * @param values the values, one per key ({@code null} items are None); null for a set bucket
 * @param next the next bucket in key order, as the caller represents it (a {@link
 *     org.zbig.zodb.record.Reference} when decoded from a record, or a client's object); null for
 *     the last bucket
 */
public record BucketState(List<Object> keys, List<Object> values, Object next) {
  /**
   * Copies the lists and checks them.
   *
   * @throws IllegalArgumentException if a key is not an int, str or bytes, keys are not strictly
   *     increasing or of different kinds, or there are not as many values as keys
   */
  public BucketState {
    keys = Collections.unmodifiableList(new ArrayList<>(keys));
    if (values != null) {
      if (values.size() != keys.size()) {
        throw new IllegalArgumentException(
            "bucket values: " + values.size() + " (expected: one per key, " + keys.size() + ")");
      }
      values = Collections.unmodifiableList(new ArrayList<>(values));
    }
    checkIncreasing("bucket key", keys);
  }

  /** The empty bucket (a map bucket unless {@code set}). */
  public static BucketState empty(boolean set) {
    return new BucketState(List.of(), set ? null : List.of(), null);
  }

  /** A set bucket. */
  public static BucketState ofSet(List<?> keys, Object next) {
    return new BucketState(new ArrayList<Object>(keys), null, next);
  }

  /** Whether this is a set bucket (keys only). */
  public boolean isSet() {
    return values == null;
  }

  /** The number of items. */
  public int size() {
    return keys.size();
  }

  /** This state with another next bucket. */
  public BucketState withNext(Object newNext) {
    return new BucketState(keys, values, newNext);
  }

  /** The tuple Python's {@code __getstate__} returns: {@code (items,)} or {@code (items, next)}. */
  public Tuple encode() {
    Object[] items = new Object[values == null ? keys.size() : 2 * keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      if (values == null) {
        items[i] = keys.get(i);
      } else {
        items[2 * i] = keys.get(i);
        items[2 * i + 1] = values.get(i);
      }
    }
    Tuple t = Tuple.of(items);
    return next == null ? Tuple.of(t) : Tuple.of(t, next);
  }

  /**
   * Decodes a bucket (or, if {@code set}, set) state, checking its shape and key order.
   *
   * @param state the decoded state pickle; references inside stay as they are
   * @param set whether items are keys only
   * @throws IllegalArgumentException if the state is not a 1- or 2-tuple of a flat items tuple
   *     (even length for a map) and an optional non-None next, or keys do not strictly increase;
   *     the message names the value and the expectation (a record reader wraps it into {@link
   *     org.zbig.zodb.error.CorruptRecordException} with the oid)
   */
  public static BucketState decode(Object state, boolean set) {
    if (!(state instanceof Tuple t) || t.size() < 1 || t.size() > 2) {
      throw new IllegalArgumentException(
          "bucket state: "
              + summary(state)
              + " (expected: a 1- or 2-tuple (items,) or (items, next))");
    }
    if (!(t.get(0) instanceof Tuple items)) {
      throw new IllegalArgumentException(
          "bucket items: " + summary(t.get(0)) + " (expected: a tuple)");
    }
    Object next = null;
    if (t.size() == 2) {
      next = t.get(1);
      if (next == null) {
        throw new IllegalArgumentException(
            "bucket next: None (expected: the next bucket, or a 1-tuple state)");
      }
    }
    List<Object> flat = items.items();
    if (set) {
      return new BucketState(flat, null, next);
    }
    if (flat.size() % 2 != 0) {
      throw new IllegalArgumentException(
          "bucket items: tuple of "
              + flat.size()
              + " (expected: an even number, alternating keys and values)");
    }
    int n = flat.size() / 2;
    List<Object> keys = new ArrayList<>(n);
    List<Object> values = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keys.add(flat.get(2 * i));
      values.add(flat.get(2 * i + 1));
    }
    return new BucketState(keys, values, next);
  }

  /**
   * Decodes as {@link #decode(Object, boolean)} and checks every key and value against {@code
   * family}.
   *
   * @throws IllegalArgumentException as {@link #decode(Object, boolean)}, or if an item is not of
   *     the family's types
   */
  public static BucketState decode(Object state, BTreeFamily family, boolean set) {
    BucketState b = decode(state, set);
    b.check(family);
    return b;
  }

  /**
   * Checks every key and value against {@code family}.
   *
   * @throws IllegalArgumentException naming the first item that is not of the family's types
   */
  public void check(BTreeFamily family) {
    for (int i = 0; i < keys.size(); i++) {
      try {
        family.checkKey(keys.get(i));
        if (values != null) {
          family.checkValue(values.get(i));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "bucket item " + i + " of " + family.module() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Checks that {@code keys} strictly increase. */
  static void checkIncreasing(String what, List<Object> keys) {
    for (int i = 0; i < keys.size(); i++) {
      if (!KeyOrder.isKey(keys.get(i))) {
        throw new IllegalArgumentException(
            what
                + " "
                + i
                + ": "
                + KeyOrder.describe(keys.get(i))
                + " (expected: int, str or bytes)");
      }
      if (i > 0 && KeyOrder.compare(keys.get(i - 1), keys.get(i)) >= 0) {
        throw new IllegalArgumentException(
            what
                + " "
                + i
                + ": "
                + KeyOrder.describe(keys.get(i))
                + " after "
                + KeyOrder.describe(keys.get(i - 1))
                + " (expected: strictly increasing)");
      }
    }
  }

  /** A short description of a state value for messages: type and size, not the whole value. */
  static String summary(Object v) {
    return switch (v) {
      case Tuple t -> "tuple of " + t.size();
      case List<?> l -> "list of " + l.size();
      case null -> "None";
      default -> KeyOrder.describe(v);
    };
  }
}
