package org.zbig.wire;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;

/** The positional arguments of one call, read with errors that name the method and position. */
final class Args {
  private final String method;
  private final List<Object> items;

  Args(String method, Object args) {
    this.method = method;
    List<Object> all;
    try {
      all = WireValues.sequence(args, "");
    } catch (ProtocolException refused) {
      all = WireValues.sequence(args, method + " arguments"); // refuses it again, naming it
    }
    this.items = all;
  }

  /** Checks that there are between {@code min} and {@code max} arguments. */
  Args arity(int min, int max) {
    int n = items.size();
    if (n < min || n > max) {
      String expected = min == max ? String.valueOf(min) : min + " to " + max;
      throw new ProtocolException(method + ": " + n + " arguments (expected: " + expected + ")");
    }
    return this;
  }

  Args arity(int n) {
    return arity(n, n);
  }

  int size() {
    return items.size();
  }

  boolean has(int i) {
    return i < items.size();
  }

  Object raw(int i) {
    return items.get(i);
  }

  private String what(int i, String name) {
    return method + " argument " + (i + 1) + " (" + name + ")";
  }

  /**
   * Reads argument {@code i} with {@code reader}; the text naming it is made only when the value is
   * refused (made for every argument, it cost 1% of a server's time per small load).
   */
  private <T> T read(int i, String name, BiFunction<Object, String, T> reader) {
    Object v = items.get(i);
    try {
      return reader.apply(v, "");
    } catch (ProtocolException refused) {
      return reader.apply(v, what(i, name)); // refuses it again, naming it
    }
  }

  Oid oid(int i, String name) {
    return read(i, name, WireValues::oid);
  }

  Oid oidOrNull(int i, String name) {
    return read(i, name, WireValues::oidOrNull);
  }

  Tid tid(int i, String name) {
    return read(i, name, WireValues::tid);
  }

  Tid tidOrNull(int i, String name) {
    return read(i, name, WireValues::tidOrNull);
  }

  /**
   * The serial a store names: 8 bytes, or None for an object the client believes new (ZODB's
   * storage API allows it, and ZEO passes it on), read as {@link Tid#Z64}.
   */
  Tid serial(int i, String name) {
    Tid t = tidOrNull(i, name);
    return t == null ? Tid.Z64 : t;
  }

  Bytes bytes(int i, String name) {
    return read(i, name, WireValues::bytes);
  }

  Bytes bytesOrNull(int i, String name) {
    return read(i, name, WireValues::bytesOrNull);
  }

  Bytes bytesOrText(int i, String name) {
    return read(i, name, WireValues::bytesOrText);
  }

  String text(int i, String name) {
    return read(i, name, WireValues::text);
  }

  boolean flag(int i, String name) {
    return read(i, name, WireValues::flag);
  }

  long integer(int i, String name) {
    return read(i, name, WireValues::integer);
  }

  double number(int i, String name) {
    return read(i, name, WireValues::number);
  }

  List<Object> sequence(int i, String name) {
    return read(i, name, WireValues::sequence);
  }

  Map<String, Object> dict(int i, String name) {
    return read(i, name, WireValues::dict);
  }

  Map<String, Object> dictOrNull(int i, String name) {
    return read(i, name, WireValues::dictOrNull);
  }
}
