package org.zbig.zodb.pickle;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Python tuple: an immutable sequence of pickle values (nulls allowed, standing for {@code
 * None}). Kept distinct from {@link List} (a Python list), because Python peers tell them apart.
 * Hash code is computed once at construction, so nested tuples hash without recursion.
 */
public final class Tuple {
  /** The empty tuple. */
  public static final Tuple EMPTY = new Tuple(new Object[0]);

  private final Object[] items;
  private final boolean hashable;
  private final int hash;

  private Tuple(Object[] items) {
    this.items = items;
    boolean h = true;
    for (Object item : items) {
      if (!PickleValues.isHashable(item)) {
        h = false;
        break;
      }
    }
    this.hashable = h;
    this.hash = h ? Arrays.hashCode(items) : items.length;
  }

  /** A tuple of {@code items} (copied). */
  public static Tuple of(Object... items) {
    return items.length == 0 ? EMPTY : new Tuple(items.clone());
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
    return hashable;
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
    if (!(o instanceof Tuple t) || t.hash != hash || t.items.length != items.length) {
      return false;
    }
    return equal(this, t, new IdentityHashMap<>());
  }

  private static boolean equal(Tuple a, Tuple b, Map<Tuple, Tuple> same) {
    if (a == b || same.get(a) == b) {
      return true;
    }
    if (a.hash != b.hash || a.items.length != b.items.length) {
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
