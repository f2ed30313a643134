package org.zbig.zodb.pickle;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

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

  @Override
  public boolean equals(Object o) {
    return o == this || o instanceof Tuple t && t.hash == hash && Arrays.equals(t.items, items);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Python's repr: {@code (1, 'a')}, {@code (1,)}, {@code ()}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < items.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(PickleValues.repr(items[i]));
    }
    return sb.append(items.length == 1 ? ",)" : ")").toString();
  }
}
