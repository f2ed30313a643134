package org.zbig.zodb.btree;

import java.math.BigInteger;
import java.util.Comparator;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleValues;

/**
 * Python 3's ordering of the B-tree keys this project supports: ints ({@link Long}, {@link
 * BigInteger}) numerically, str by code points, bytes unsigned lexicographically. Keys of different
 * kinds do not order, as Python's {@code '<' not supported} {@code TypeError}.
 */
public final class KeyOrder {
  /** {@link #compare} as a comparator. */
  public static final Comparator<Object> PYTHON = KeyOrder::compare;

  private KeyOrder() {}

  /**
   * Compares two keys as Python 3 does.
   *
   * @throws IllegalArgumentException if either is not an int, str or bytes, or they are of
   *     different kinds (e.g. an int and a str)
   */
  public static int compare(Object a, Object b) {
    Kind ka = kind(a);
    Kind kb = kind(b);
    if (ka != kb) {
      throw new IllegalArgumentException(
          "cannot order key "
              + describe(a)
              + " against key "
              + describe(b)
              + " (expected: keys of one kind: all int, all str or all bytes)");
    }
    return switch (ka) {
      case INT -> compareInts(a, b);
      case STR -> compareCodePoints((String) a, (String) b);
      case BYTES -> ((Bytes) a).compareTo((Bytes) b);
    };
  }

  /** Whether {@code key} is of a kind this order knows: an int, str or bytes. */
  public static boolean isKey(Object key) {
    return key instanceof Long
        || key instanceof BigInteger
        || key instanceof String
        || key instanceof Bytes;
  }

  /**
   * Checks that {@code key} is of a kind this order knows.
   *
   * @throws IllegalArgumentException if it is not an int, str or bytes
   */
  static void check(Object key) {
    kind(key);
  }

  /** {@code 'a' (str)}: the value's repr, cut at 60 characters, and its Python type. */
  static String describe(Object v) {
    String r = PickleValues.repr(v);
    if (r.length() > 60) {
      r = r.substring(0, 57) + "...";
    }
    return r + " (" + PickleValues.typeName(v) + ")";
  }

  private enum Kind {
    INT,
    STR,
    BYTES
  }

  private static Kind kind(Object key) {
    return switch (key) {
      case Long l -> Kind.INT;
      case BigInteger b -> Kind.INT;
      case String s -> Kind.STR;
      case Bytes b -> Kind.BYTES;
      case null, default ->
          throw new IllegalArgumentException(
              "key: " + describe(key) + " (expected: int, str or bytes)");
    };
  }

  private static int compareInts(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      return Long.compare(x, y);
    }
    return big(a).compareTo(big(b));
  }

  private static BigInteger big(Object v) {
    return v instanceof Long l ? BigInteger.valueOf(l) : (BigInteger) v;
  }

  /** Code point order; Java's {@code compareTo} orders UTF-16 units, which differs above U+FFFF. */
  private static int compareCodePoints(String a, String b) {
    int i = 0;
    while (i < a.length() && i < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(i);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
    }
    return Integer.compare(a.length() - i, b.length() - i);
  }
}
