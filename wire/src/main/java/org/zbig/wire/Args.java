package org.zbig.wire;

import java.util.List;
import java.util.Map;
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
    this.items = WireValues.sequence(args, method + " arguments");
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

  Oid oid(int i, String name) {
    return WireValues.oid(items.get(i), what(i, name));
  }

  Oid oidOrNull(int i, String name) {
    return WireValues.oidOrNull(items.get(i), what(i, name));
  }

  Tid tid(int i, String name) {
    return WireValues.tid(items.get(i), what(i, name));
  }

  Tid tidOrNull(int i, String name) {
    return WireValues.tidOrNull(items.get(i), what(i, name));
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
    return WireValues.bytes(items.get(i), what(i, name));
  }

  Bytes bytesOrNull(int i, String name) {
    return WireValues.bytesOrNull(items.get(i), what(i, name));
  }

  Bytes bytesOrText(int i, String name) {
    return WireValues.bytesOrText(items.get(i), what(i, name));
  }

  String text(int i, String name) {
    return WireValues.text(items.get(i), what(i, name));
  }

  boolean flag(int i, String name) {
    return WireValues.flag(items.get(i), what(i, name));
  }

  long integer(int i, String name) {
    return WireValues.integer(items.get(i), what(i, name));
  }

  double number(int i, String name) {
    return WireValues.number(items.get(i), what(i, name));
  }

  List<Object> sequence(int i, String name) {
    return WireValues.sequence(items.get(i), what(i, name));
  }

  Map<String, Object> dict(int i, String name) {
    return WireValues.dict(items.get(i), what(i, name));
  }

  Map<String, Object> dictOrNull(int i, String name) {
    return WireValues.dictOrNull(items.get(i), what(i, name));
  }
}
