package org.zbig.zodb.pickle;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reading pickle values the way Python code would: text that may arrive as a Python 2 8-bit string,
 * integers of any size, Python's {@code repr}.
 *
 * <p>The value model: {@code null} (None), {@link Boolean}, {@link Long} (ints that fit) or {@link
 * BigInteger} (larger ints), {@link Double}, {@link String} (str), {@link Bytes} (bytes, and Python
 * 2 str), {@link Tuple}, {@link List} (list, mutable), {@link Map} (dict, insertion-ordered,
 * mutable), {@link Set} (set/frozenset, read only), {@link Global}, {@link PersistentId} or what a
 * persistent-load hook makes of it, and {@link PyObject}.
 */
public final class PickleValues {
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private PickleValues() {}

  /**
   * Text from a str, or from a Python 2 8-bit string read as Latin-1 (formats spec 1.6).
   *
   * @throws IllegalArgumentException if {@code value} is neither
   */
  public static String text(Object value) {
    return switch (value) {
      case String s -> s;
      case Bytes b -> b.latin1();
      case null, default ->
          throw new IllegalArgumentException(
              "expected str, got " + typeName(value) + ": " + repr(value));
    };
  }

  /**
   * A Python int that fits a long.
   *
   * @throws IllegalArgumentException if {@code value} is not an int in the long range
   */
  public static long longValue(Object value) {
    if (value instanceof Long l) {
      return l;
    }
    throw new IllegalArgumentException(
        "expected int in [-2^63, 2^63), got " + typeName(value) + ": " + repr(value));
  }

  /** The canonical int value: a {@link Long} when it fits, else the {@link BigInteger}. */
  public static Object integer(BigInteger v) {
    return v.compareTo(LONG_MIN) >= 0 && v.compareTo(LONG_MAX) <= 0 ? (Object) v.longValue() : v;
  }

  /** Whether Python can hash the value (use it as a dict key or set member). */
  public static boolean isHashable(Object value) {
    return switch (value) {
      case Tuple t -> t.isHashable();
      case List<?> l -> false;
      case Map<?, ?> m -> false;
      case Set<?> s -> false;
      case null, default -> true;
    };
  }

  /** Python's name of the value's type: {@code NoneType}, {@code int}, {@code bytes}, .... */
  public static String typeName(Object value) {
    return switch (value) {
      case null -> "NoneType";
      case Boolean b -> "bool";
      case Long l -> "int";
      case BigInteger b -> "int";
      case Double d -> "float";
      case String s -> "str";
      case Bytes b -> "bytes";
      case Tuple t -> "tuple";
      case List<?> l -> "list";
      case Map<?, ?> m -> "dict";
      case Set<?> s -> "set";
      case Global g -> "global";
      case PyObject o -> "object";
      case PersistentId p -> "persistent reference";
      default -> value.getClass().getSimpleName();
    };
  }

  /** Python's {@code repr} of a value (long byte strings are summarised). */
  public static String repr(Object value) {
    return switch (value) {
      case null -> "None";
      case Boolean b -> b ? "True" : "False";
      case Double d -> reprFloat(d);
      case String s -> reprStr(s);
      case List<?> l -> reprItems("[", l, "]");
      case Set<?> s -> s.isEmpty() ? "set()" : reprItems("{", s, "}");
      case Map<?, ?> m -> {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (sb.length() > 1) {
            sb.append(", ");
          }
          sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
        }
        yield sb.append('}').toString();
      }
      default -> value.toString();
    };
  }

  private static String reprItems(String open, Iterable<?> items, String close) {
    StringBuilder sb = new StringBuilder(open);
    for (Object o : items) {
      if (sb.length() > open.length()) {
        sb.append(", ");
      }
      sb.append(repr(o));
    }
    return sb.append(close).toString();
  }

  private static String reprFloat(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    return Double.toString(d);
  }

  private static String reprStr(String s) {
    StringBuilder sb = new StringBuilder("'");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\'' -> sb.append("\\'");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('\'').toString();
  }
}
