package org.zbig.zodb.pickle;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
   * Text from a str, or from a Python 2 8-bit string read as Latin-1 (docs/formats.md §1.6).
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

  /** The longest text {@link #repr(Object)} returns, before its {@code ...}. */
  public static final int REPR_LIMIT = 4096;

  /** How deep {@link #repr} descends into nested containers before writing {@code ...}. */
  public static final int REPR_DEPTH = 32;

  /**
   * Python's {@code repr} of a value, cut at {@link #REPR_LIMIT} characters and {@link #REPR_DEPTH}
   * levels of nesting (long byte strings and huge ints are summarised).
   *
   * <p>Bounded whatever the value: its cost is proportional to the text it returns, so a value that
   * shares substructures (a pickle's memo can make a few hundred bytes stand for a tree of 2^40
   * leaves), nests deeply or contains itself costs no more than a short one.
   */
  public static String repr(Object value) {
    return repr(value, REPR_LIMIT);
  }

  /**
   * Python's {@code repr} of a value, cut at {@code maxChars} characters (then ending in {@code
   * ...}) and {@link #REPR_DEPTH} levels of nesting.
   */
  public static String repr(Object value, int maxChars) {
    Repr r = new Repr(maxChars);
    r.value(value, 0);
    return r.text();
  }

  /** A repr under construction, with its budget. */
  private static final class Repr {
    private final StringBuilder sb = new StringBuilder();
    private final int limit;
    private boolean cut;

    Repr(int limit) {
      this.limit = Math.max(1, limit);
    }

    /** Whether the budget is used up (then nothing more is appended). */
    boolean full() {
      if (sb.length() >= limit) {
        cut = true;
      }
      return cut;
    }

    void append(String s) {
      if (!full()) {
        sb.append(s, 0, Math.min(s.length(), limit - sb.length()));
        if (sb.length() >= limit) {
          cut = true;
        }
      }
    }

    String text() {
      return cut ? sb.substring(0, Math.min(sb.length(), limit)) + "..." : sb.toString();
    }

    void value(Object v, int depth) {
      if (full()) {
        return;
      }
      if (depth > REPR_DEPTH
          && (v instanceof Tuple
              || v instanceof Iterable<?>
              || v instanceof Map<?, ?>
              || v instanceof PyObject
              || v instanceof PersistentId)) {
        append("...");
        return;
      }
      switch (v) {
        case null -> append("None");
        case Boolean b -> append(b ? "True" : "False");
        case Double d -> append(reprFloat(d));
        case String s -> str(s);
        case BigInteger b ->
            append(
                b.bitLength() <= 1024
                    ? b.toString()
                    : "<int of " + b.bitLength() + " bits>"); // toString is quadratic
        case Tuple t -> {
          items("(", t.items(), depth);
          append(t.size() == 1 ? ",)" : ")");
        }
        case List<?> l -> {
          items("[", l, depth);
          append("]");
        }
        case Set<?> s -> {
          if (s.isEmpty()) {
            append("set()");
          } else {
            items("{", s, depth);
            append("}");
          }
        }
        case Map<?, ?> m -> {
          append("{");
          boolean first = true;
          for (Map.Entry<?, ?> e : m.entrySet()) {
            if (full()) {
              return;
            }
            if (!first) {
              append(", ");
            }
            first = false;
            value(e.getKey(), depth + 1);
            append(": ");
            value(e.getValue(), depth + 1);
          }
          append("}");
        }
        case PyObject o -> {
          if (o.kind() == PyObject.Kind.NEWOBJ) {
            append("new ");
          }
          value(o.callable(), depth + 1);
          value(o.args(), depth + 1);
          if (o.hasState()) {
            append(".__setstate__(");
            value(o.state(), depth + 1);
            append(")");
          }
        }
        case PersistentId p -> {
          append("PersistentId(");
          value(p.pid(), depth + 1);
          append(")");
        }
        default -> append(v.toString()); // Long, Bytes (summarised), Global: short
      }
    }

    private void items(String open, Iterable<?> items, int depth) {
      append(open);
      boolean first = true;
      for (Object o : items) {
        if (full()) {
          return;
        }
        if (!first) {
          append(", ");
        }
        first = false;
        value(o, depth + 1);
      }
    }

    private void str(String s) {
      append("'");
      for (int i = 0; i < s.length() && !full(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '\'' -> append("\\'");
          case '\\' -> append("\\\\");
          case '\n' -> append("\\n");
          case '\r' -> append("\\r");
          case '\t' -> append("\\t");
          default -> {
            if (c < 0x20 || c == 0x7f) {
              append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
              append(String.valueOf(c));
            }
          }
        }
      }
      append("'");
    }
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

  /** How a conversion reports a value that is not what it should be, in its caller's terms. */
  @FunctionalInterface
  public interface Mismatch {
    /** The error for field {@code what} holding {@code value} where {@code expected} was due. */
    RuntimeException of(String what, Object value, String expected);
  }

  /**
   * A dict whose keys are all str. A pickled call of {@code dict()} or {@code dict(pairs)} counts
   * as the dict it makes: Python code whose dict subclass reduces to {@code dict} (a transaction
   * extension, say) pickles that call, and ZEO's server runs it.
   *
   * @throws RuntimeException made by {@code bad}, naming {@code what} (with {@code " key"}, {@code
   *     " (dict call)"} or {@code " (dict call item)"} where that is what is wrong)
   */
  public static Map<String, Object> strKeyDict(Object v, String what, Mismatch bad) {
    Object d = dictCallResult(v, what, bad);
    if (!(d instanceof Map<?, ?> m)) {
      throw bad.of(what, d, "dict");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw bad.of(what + " key", e.getKey(), "str");
      }
      out.put(k, e.getValue());
    }
    return out;
  }

  /**
   * What a pickled {@code dict()} or {@code dict(pairs)} call makes, or {@code v} if it is none.
   */
  private static Object dictCallResult(Object v, String what, Mismatch bad) {
    if (!(v instanceof PyObject o
        && o.callable() instanceof Global g
        && (g.dotted().equals("builtins.dict") || g.dotted().equals("__builtin__.dict"))
        && o.kind() == PyObject.Kind.REDUCE
        && !o.hasState()
        && o.args().size() <= 1)) {
      return v;
    }
    Map<Object, Object> out = new LinkedHashMap<>();
    if (o.args().size() == 0) {
      return out;
    }
    Object from = o.args().get(0);
    if (from instanceof Map<?, ?> m) {
      out.putAll(m);
      return out;
    }
    List<?> pairs =
        switch (from) {
          case Tuple t -> t.items();
          case List<?> l -> l;
          case null, default -> throw bad.of(what + " (dict call)", from, "tuple or list");
        };
    for (Object pair : pairs) {
      List<?> kv = pair instanceof Tuple t ? t.items() : pair instanceof List<?> l ? l : null;
      if (kv == null || kv.size() != 2) {
        throw bad.of(what + " (dict call item)", pair, "a sequence of 2 items");
      }
      out.put(kv.get(0), kv.get(1));
    }
    return out;
  }

  /** How deep {@link #plain} keeps values. */
  public static final int PLAIN_DEPTH = 32;

  /** How long the repr that {@link #plain} puts in place of an object may be. */
  public static final int PLAIN_REPR_LIMIT = 80;

  /**
   * A value as plain data that any ZEO client can decode: None, bool, int, float, str, bytes, and
   * tuples, lists and dicts of them. A set becomes a list; anything else (an object or a global a
   * client put into a transaction's extension) becomes its repr. At most {@code maxValues} values
   * are kept, nested at most {@link #PLAIN_DEPTH} levels (half the nesting a ZEO peer accepts in a
   * message, so that a reply that carries them is within it); what is beyond becomes {@code '...'}.
   */
  public static Object plain(Object v, int maxValues) {
    return new Plain(maxValues).of(v, 0);
  }

  /** {@link #plain} of each value of a dict with str keys. */
  public static Map<String, Object> plainDict(Map<String, Object> d, int maxValues) {
    Plain p = new Plain(maxValues);
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : d.entrySet()) {
      out.put(e.getKey(), p.of(e.getValue(), 1));
    }
    return out;
  }

  private static final class Plain {
    private int left;

    Plain(int max) {
      this.left = max;
    }

    Object of(Object v, int depth) {
      if (--left < 0 || depth >= PLAIN_DEPTH) {
        return "...";
      }
      return switch (v) {
        case null -> null;
        case Boolean b -> b;
        case Long l -> l;
        case BigInteger b -> b;
        case Double d -> d;
        case String s -> s;
        case Bytes b -> b;
        case Tuple t -> {
          Object[] items = new Object[t.size()];
          for (int i = 0; i < items.length; i++) {
            items[i] = of(t.get(i), depth + 1);
          }
          yield Tuple.of(items);
        }
        case Map<?, ?> m -> {
          Map<Object, Object> out = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : m.entrySet()) {
            Object k = of(e.getKey(), depth + 1);
            out.put(isHashable(k) ? k : repr(k, PLAIN_REPR_LIMIT), of(e.getValue(), depth + 1));
          }
          yield out;
        }
        case Iterable<?> items -> {
          List<Object> out = new ArrayList<>();
          for (Object o : items) {
            out.add(of(o, depth + 1));
          }
          yield out;
        }
        default -> repr(v, PLAIN_REPR_LIMIT);
      };
    }
  }
}
