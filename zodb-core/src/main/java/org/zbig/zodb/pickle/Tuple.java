package org.zbig.zodb.pickle;

import java.util.AbstractList;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Python tuple: an immutable sequence of pickle values (nulls allowed, standing for {@code
 * None}). Kept distinct from {@link List} (a Python list), because Python peers tell them apart.
 * Hash code and hashability are computed at first use and kept (as {@link String} does): the tuples
 * of messages are encoded and decoded, never hashed, and hashing each at construction cost a tenth
 * of a client's time per small load. The first use walks the nested tuples not yet hashed with a
 * stack of its own, so deep nesting needs no deep recursion, and shared parts (as a pickle's memo
 * makes them) are hashed once.
 */
public final class Tuple {
  /** The empty tuple. */
  public static final Tuple EMPTY = new Tuple(new Object[0]);

  private static final byte UNKNOWN = 0;
  private static final byte HASHABLE = 1;
  private static final byte UNHASHABLE = 2;

  private final Object[] items;
  private int hash; // valid once hashable is known
  private volatile byte hashable; // UNKNOWN until first asked; written after hash

  private Tuple(Object[] items) {
    this.items = items;
  }

  /** A tuple of {@code items} (copied). */
  public static Tuple of(Object... items) {
    return items.length == 0 ? EMPTY : new Tuple(items.clone());
  }

  /**
   * A pair, without the copy of the varargs array (the clone was not compiled inline on the
   * client's path of every request: 4% of its network thread in a profile of pipelined loads).
   */
  public static Tuple of(Object a, Object b) {
    return new Tuple(new Object[] {a, b});
  }

  /** Three items; see {@link #of(Object, Object)}. */
  public static Tuple of(Object a, Object b, Object c) {
    return new Tuple(new Object[] {a, b, c});
  }

  /** Four items (every ZEO message); see {@link #of(Object, Object)}. */
  public static Tuple of(Object a, Object b, Object c, Object d) {
    return new Tuple(new Object[] {a, b, c, d});
  }

  /** A tuple of the elements of {@code items}. */
  public static Tuple copyOf(List<?> items) {
    return items.isEmpty() ? EMPTY : new Tuple(items.toArray());
  }

  /** Takes ownership of {@code items} without copying. */
  static Tuple own(Object[] items) {
    return items.length == 0 ? EMPTY : new Tuple(items);
  }

  /** Number of items. */
  public int size() {
    return items.length;
  }

  /**
   * The item at {@code index}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
   */
  public Object get(int index) {
    return items[index];
  }

  /** An unmodifiable list view of the items. */
  public List<Object> items() {
    return new AbstractList<>() {
      @Override
      public Object get(int index) {
        return items[index];
      }

      @Override
      public int size() {
        return items.length;
      }
    };
  }

  /**
   * Whether Python could hash this tuple (and so use it as a dict key): no list, dict or set
   * inside.
   */
  public boolean isHashable() {
    byte h = hashable;
    if (h == UNKNOWN) {
      computeHashes();
      h = hashable;
    }
    return h == HASHABLE;
  }

  /**
   * Computes hashability and hash code of this tuple and of the tuples in it not computed yet,
   * innermost first, with an explicit stack (a tuple may be pushed once per reference to it; it is
   * computed once).
   */
  private void computeHashes() {
    ArrayDeque<Tuple> stack = new ArrayDeque<>();
    stack.push(this);
    while (!stack.isEmpty()) {
      Tuple t = stack.peek();
      if (t.hashable != UNKNOWN) {
        stack.pop();
        continue;
      }
      boolean ready = true;
      for (Object item : t.items) {
        if (item instanceof Tuple c && c.hashable == UNKNOWN) {
          stack.push(c);
          ready = false;
        }
      }
      if (ready) {
        stack.pop();
        boolean ok = true;
        for (Object item : t.items) {
          if (!PickleValues.isHashable(item)) {
            ok = false;
            break;
          }
        }
        t.hash = ok ? Arrays.hashCode(t.items) : t.items.length;
        t.hashable = ok ? HASHABLE : UNHASHABLE;
      }
    }
  }

  /**
   * Item-wise equality. Tuples that share substructures (as a pickle's memo makes them) are
   * compared once per pair of shared parts, so the cost is bounded by the parts, not by the tree
   * they stand for.
   */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof Tuple t) || t.items.length != items.length || t.hashCode() != hashCode()) {
      return false;
    }
    return equal(this, t, new IdentityHashMap<>());
  }

  private static boolean equal(Tuple a, Tuple b, Map<Tuple, Tuple> same) {
    if (a == b || same.get(a) == b) {
      return true;
    }
    if (a.items.length != b.items.length || a.hashCode() != b.hashCode()) {
      return false;
    }
    for (int i = 0; i < a.items.length; i++) {
      Object x = a.items[i];
      Object y = b.items[i];
      boolean eq =
          x instanceof Tuple tx && y instanceof Tuple ty
              ? equal(tx, ty, same)
              : Objects.equals(x, y);
      if (!eq) {
        return false;
      }
    }
    same.put(a, b);
    return true;
  }

  @Override
  public int hashCode() {
    if (hashable == UNKNOWN) {
      computeHashes();
    }
    return hash;
  }

  /**
   * Python's repr: {@code (1, 'a')}, {@code (1,)}, {@code ()}; bounded as {@link
   * PickleValues#repr}.
   */
  @Override
  public String toString() {
    return PickleValues.repr(this);
  }
}
