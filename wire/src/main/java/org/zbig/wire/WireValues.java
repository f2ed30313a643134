package org.zbig.wire;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PersistentId;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;

/**
 * Conversions between the values a ZEO peer sends (docs/protocol.md §2.4) and Java types, each
 * failing with a {@link ProtocolException} that names the field, the value and the expectation.
 *
 * <p>Decoded sequences are {@link Tuple}s or {@link List}s (msgpack arrays arrive as tuples, as a
 * Python peer decodes them); both are accepted wherever a sequence is expected. Oids and tids are
 * 8-byte {@link Bytes}.
 */
public final class WireValues {
  private static final int REPR_LIMIT = 80;

  private WireValues() {}

  /** The wire form of an oid: 8 bytes. */
  public static Bytes bytes(Oid oid) {
    return Bytes.wrap(oid.toBytes());
  }

  /** The wire form of a tid: 8 bytes. */
  public static Bytes bytes(Tid tid) {
    return Bytes.wrap(tid.toBytes());
  }

  /** The wire form of a tid that may be absent: 8 bytes or None. */
  public static Bytes bytesOrNone(Tid tid) {
    return tid == null ? null : bytes(tid);
  }

  /** The wire form of an oid that may be absent: 8 bytes or None. */
  public static Bytes bytesOrNone(Oid oid) {
    return oid == null ? null : bytes(oid);
  }

  /** A list of oids as the list of their 8-byte strings. */
  public static List<Object> oidList(List<Oid> oids) {
    List<Object> out = new ArrayList<>(oids.size());
    for (Oid o : oids) {
      out.add(bytes(o));
    }
    return out;
  }

  /** An oid: 8 bytes. */
  public static Oid oid(Object v, String what) {
    return Oid.of(bytes8(v, what).segment());
  }

  /** A tid: 8 bytes. */
  public static Tid tid(Object v, String what) {
    return Tid.of(bytes8(v, what).segment());
  }

  /** A tid or None (null). */
  public static Tid tidOrNull(Object v, String what) {
    return v == null ? null : tid(v, what);
  }

  /** An oid or None (null). */
  public static Oid oidOrNull(Object v, String what) {
    return v == null ? null : oid(v, what);
  }

  /**
   * 8 bytes; a str of 8 characters below 256 counts as its Latin-1 bytes, as Python code passes
   * {@code '\\0' * 8} for a new object's serial and Python's storages compare it unharmed.
   */
  private static Bytes bytes8(Object v, String what) {
    if (v instanceof Bytes b && b.length() == 8) {
      return b;
    }
    if (v instanceof String s && s.length() == 8 && s.chars().allMatch(c -> c < 256)) {
      return Bytes.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }
    throw bad(what, v, "8 bytes");
  }

  /** A byte string. */
  public static Bytes bytes(Object v, String what) {
    if (v instanceof Bytes b) {
      return b;
    }
    throw bad(what, v, "bytes");
  }

  /** A byte string or None (null). */
  public static Bytes bytesOrNull(Object v, String what) {
    return v == null ? null : bytes(v, what);
  }

  /** Bytes, or a str taken as its UTF-8 encoding (user and description, docs/protocol.md §2.4). */
  public static Bytes bytesOrText(Object v, String what) {
    if (v instanceof String s) {
      return Bytes.utf8(s);
    }
    if (v instanceof Bytes b) {
      return b;
    }
    throw bad(what, v, "bytes or str");
  }

  /** A str (a Python 2 byte string is read as Latin-1, as a ZEO 5.0 peer may send one). */
  public static String text(Object v, String what) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Bytes b) {
      return b.latin1();
    }
    throw bad(what, v, "str");
  }

  /** A str or None (null). */
  public static String textOrNull(Object v, String what) {
    return v == null ? null : text(v, what);
  }

  /** A bool, or an int taken as its truth value (flags and read_only, docs/protocol.md §2.4). */
  public static boolean flag(Object v, String what) {
    return switch (v) {
      case Boolean b -> b;
      case Long l -> l != 0;
      case BigInteger b -> b.signum() != 0;
      case null, default -> throw bad(what, v, "bool or int");
    };
  }

  /** An int in the long range (a bool counts as 0 or 1, as in Python). */
  public static long integer(Object v, String what) {
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    throw bad(what, v, "int in [-2^63, 2^63)");
  }

  /** A float, or an int taken as float (pack time, docs/protocol.md §2.4). */
  public static double number(Object v, String what) {
    return switch (v) {
      case Double d -> d;
      case Long l -> l;
      case BigInteger b -> b.doubleValue();
      case null, default -> throw bad(what, v, "float or int");
    };
  }

  /** A sequence: a tuple or a list. */
  public static List<Object> sequence(Object v, String what) {
    return switch (v) {
      case Tuple t -> t.items();
      case List<?> l -> {
        @SuppressWarnings("unchecked")
        List<Object> items = (List<Object>) l;
        yield items;
      }
      case null, default -> throw bad(what, v, "tuple or list");
    };
  }

  /** A sequence of exactly {@code n} items. */
  public static List<Object> sequence(Object v, int n, String what) {
    List<Object> items = sequence(v, what);
    if (items.size() != n) {
      throw bad(what, v, "a sequence of " + n + " items");
    }
    return items;
  }

  /** A sequence of oids. */
  public static List<Oid> oids(Object v, String what) {
    List<Object> items = sequence(v, what);
    List<Oid> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(oid(items.get(i), what + "[" + i + "]"));
    }
    return List.copyOf(out);
  }

  /**
   * A dict whose keys are all str. A {@code dict(pairs)} call as a pickle describes it (Python code
   * whose dict subclass reduces to {@code dict}, e.g. a transaction extension) counts as the dict
   * it makes, as it does for ZEO's server, which runs that call.
   */
  public static Map<String, Object> dict(Object v, String what) {
    return PickleValues.strKeyDict(v, what, WireValues::bad);
  }

  /** A dict with str keys, or None (null). */
  public static Map<String, Object> dictOrNull(Object v, String what) {
    return v == null ? null : dict(v, what);
  }

  /** A list of dicts with str keys (history, undoLog). */
  public static List<Map<String, Object>> dicts(Object v, String what) {
    List<Object> items = sequence(v, what);
    List<Map<String, Object>> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(dict(items.get(i), what + "[" + i + "]"));
    }
    return out;
  }

  /** A bounded Python repr of a value, for error messages. */
  public static String repr(Object v) {
    return PickleValues.repr(v, REPR_LIMIT);
  }

  /**
   * Checks that a decoded value is a tree of at most {@code maxValues} values counted as the peer's
   * encoder would write them (a value that a pickle's memo shares counts once per use), nested at
   * most {@link #MAX_DEPTH} levels, and without cycles. Every value a peer sends passes through
   * this before anything walks it, so that no walk (a repr, an equality, re-encoding it in a reply)
   * can cost more than a small multiple of the frame that carried it: ZEO peers write their
   * messages without a memo, so each value takes at least one byte of the frame.
   *
   * <p>The check itself visits each distinct container once.
   *
   * @throws ProtocolException naming {@code what} and the limit that was exceeded
   */
  public static void checkShape(Object v, long maxValues, String what) {
    checkShape(v, maxValues, () -> what);
  }

  /** As {@link #checkShape(Object, long, String)}, the name made only for an error. */
  public static void checkShape(Object v, long maxValues, Supplier<String> what) {
    if (isContainer(v) || v == TOO_DEEP) {
      new ShapeCheck(maxValues, what).size(v, 0);
    }
  }

  private static boolean isContainer(Object v) {
    return v instanceof Tuple
        || v instanceof List<?>
        || v instanceof Map<?, ?>
        || v instanceof Set<?>
        || v instanceof PyObject
        || v instanceof PersistentId;
  }

  /** Deeper nesting than any ZEO message has. */
  public static final int MAX_DEPTH = 64;

  /**
   * What a decoder that stops at {@link #MAX_DEPTH} puts in place of what is nested deeper; {@link
   * #checkShape} refuses it.
   */
  public static final Object TOO_DEEP =
      new Object() {
        @Override
        public String toString() {
          return "<nested deeper than " + MAX_DEPTH + " levels>";
        }
      };

  /**
   * The walk of {@link #checkShape}: the size of each container that holds containers is remembered
   * by identity, so shared parts are walked once; containers of leaves only (most messages are
   * such) need no memory at all.
   */
  private static final class ShapeCheck {
    private static final Long IN_PROGRESS = -1L;
    private final long max;
    private final Supplier<String> what;
    private Map<Object, Long> sizes; // made at the first container inside a container

    ShapeCheck(long max, Supplier<String> what) {
      this.max = max;
      this.what = what;
    }

    long size(Object v, int depth) {
      if (v == TOO_DEEP) {
        throw tooDeep();
      }
      if (!isContainer(v)) {
        return 1;
      }
      if (depth >= MAX_DEPTH) {
        throw tooDeep();
      }
      Long known = sizes == null ? null : sizes.get(v);
      if (known != null) {
        if (known.equals(IN_PROGRESS)) {
          throw new ProtocolException(
              what.get() + ": a value that contains itself (expected: a tree)");
        }
        return known;
      }
      Walk w = new Walk(v, depth);
      switch (v) {
        case Tuple t -> {
          for (int i = 0; i < t.size(); i++) {
            w.add(t.get(i));
          }
        }
        case Map<?, ?> m -> {
          for (Map.Entry<?, ?> e : m.entrySet()) {
            w.add(e.getKey());
            w.add(e.getValue());
          }
        }
        case Iterable<?> items -> {
          for (Object o : items) {
            w.add(o);
          }
        }
        case PyObject o -> {
          w.add(o.callable());
          w.add(o.args());
          w.add(o.state());
        }
        case PersistentId p -> w.add(p.pid());
        default -> {}
      }
      if (w.nested) {
        sizes.put(v, w.n);
      }
      return w.n;
    }

    /** The sum over one container's items. */
    private final class Walk {
      final Object container;
      final int depth;
      long n = 1;
      boolean nested;

      Walk(Object container, int depth) {
        this.container = container;
        this.depth = depth;
      }

      void add(Object item) {
        long more;
        if (isContainer(item) || item == TOO_DEEP) {
          if (!nested) {
            nested = true;
            if (sizes == null) {
              sizes = new IdentityHashMap<>();
            }
            sizes.put(container, IN_PROGRESS);
          }
          more = size(item, depth + 1);
        } else {
          more = 1;
        }
        n += more;
        if (n > max) {
          throw new ProtocolException(
              what.get()
                  + ": more than "
                  + max
                  + " values once shared parts are counted at each use (expected: at most one"
                  + " per byte of the frame)");
        }
      }
    }

    private ProtocolException tooDeep() {
      return new ProtocolException(
          what.get() + ": values nested deeper than " + MAX_DEPTH + " levels (expected: less)");
    }
  }

  /** The error for a field whose value is not what it should be. */
  public static ProtocolException bad(String what, Object v, String expected) {
    return new ProtocolException(
        what + ": " + PickleValues.typeName(v) + " " + repr(v) + " (expected: " + expected + ")");
  }
}
