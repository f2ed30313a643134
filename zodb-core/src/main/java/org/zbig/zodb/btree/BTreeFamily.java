package org.zbig.zodb.btree;

import java.util.Comparator;

/**
 * A B-tree family {@code XY}: key type X, value type Y, the module {@code BTrees.XYBTree} with its
 * four classes, and the node size limits (docs/formats.md §3.1).
 *
 * <p>Supported types: {@code I} (C int32, pickled as int), {@code L} (C int64) and {@code O} (any
 * object; here, as keys, ints, str or bytes, all of one kind in one tree). Values of {@code O} may
 * be anything, including {@code null} (None) and references.
 */
public enum BTreeFamily {
  /** int32 → object: {@code BTrees.IOBTree} (wendelin's ZBlk1 chunk tables). */
  IO(Type.INT32, Type.OBJECT, 60, 500),
  /** int64 → object: {@code BTrees.LOBTree} (wendelin's block tables). */
  LO(Type.INT64, Type.OBJECT, 60, 500),
  /** object → object: {@code BTrees.OOBTree}. */
  OO(Type.OBJECT, Type.OBJECT, 30, 250),
  /** int32 → int32: {@code BTrees.IIBTree}. */
  II(Type.INT32, Type.INT32, 120, 500),
  /** int64 → int64: {@code BTrees.LLBTree}. */
  LL(Type.INT64, Type.INT64, 120, 500),
  /** object → int32: {@code BTrees.OIBTree}. */
  OI(Type.OBJECT, Type.INT32, 60, 250),
  /** object → int64: {@code BTrees.OLBTree}. */
  OL(Type.OBJECT, Type.INT64, 60, 250);

  /** What a key or value slot holds. */
  private enum Type {
    INT32,
    INT64,
    OBJECT
  }

  private final Type keyType;
  private final Type valueType;
  private final int maxLeafSize; // Python's max_leaf_size: a bucket splits above it
  private final int maxInternalSize; // max_internal_size: a node splits above it

  BTreeFamily(Type keyType, Type valueType, int maxLeafSize, int maxInternalSize) {
    this.keyType = keyType;
    this.valueType = valueType;
    this.maxLeafSize = maxLeafSize;
    this.maxInternalSize = maxInternalSize;
  }

  /** The two-letter prefix of the class names, e.g. {@code LO}. */
  public String prefix() {
    return name();
  }

  /** The Python module, e.g. {@code BTrees.LOBTree}. */
  public String module() {
    return "BTrees." + name() + "BTree";
  }

  /** The class of {@code kind} in this family. */
  public BTreeClass classOf(BTreeKind kind) {
    return new BTreeClass(this, kind);
  }

  /** Python's {@code max_leaf_size}: a bucket with more items than this is split. */
  public int maxLeafSize() {
    return maxLeafSize;
  }

  /** Python's {@code max_internal_size}: a tree node with more children than this is split. */
  public int maxInternalSize() {
    return maxInternalSize;
  }

  /**
   * Checks that {@code key} is a key of this family, and returns it.
   *
   * @throws IllegalArgumentException if it is not: for {@code I} an int in [-2^31, 2^31), for
   *     {@code L} an int in [-2^63, 2^63), for {@code O} an int, str or bytes
   */
  public Object checkKey(Object key) {
    check("key", keyType, key);
    return key;
  }

  /**
   * Checks that {@code value} is a value of this family, and returns it.
   *
   * @throws IllegalArgumentException if it is not: for {@code I} an int in [-2^31, 2^31), for
   *     {@code L} an int in [-2^63, 2^63); {@code O} takes anything
   */
  public Object checkValue(Object value) {
    check("value", valueType, value);
    return value;
  }

  /**
   * Compares two keys in Python's order (see {@link KeyOrder}).
   *
   * @throws IllegalArgumentException if they do not order: not int/str/bytes, or of different kinds
   *     (an {@code O} tree cannot mix them)
   */
  public int compareKeys(Object a, Object b) {
    return KeyOrder.compare(a, b);
  }

  /** {@link #compareKeys} as a comparator. */
  public Comparator<Object> keyComparator() {
    return KeyOrder.PYTHON;
  }

  private static void check(String what, Type type, Object v) {
    switch (type) {
      case OBJECT -> {
        if (what.equals("key")) {
          KeyOrder.check(v);
        }
      }
      case INT64 -> {
        if (!(v instanceof Long)) {
          throw new IllegalArgumentException(
              what + ": " + KeyOrder.describe(v) + " (expected: int in [-2^63, 2^63))");
        }
      }
      case INT32 -> {
        if (!(v instanceof Long l && l.longValue() == l.intValue())) {
          throw new IllegalArgumentException(
              what + ": " + KeyOrder.describe(v) + " (expected: int in [-2^31, 2^31))");
        }
      }
    }
  }
}
