package org.zbig.zodb;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.Reference;

/**
 * The tagged JSON of the test vectors (docs/formats.md §8): converts pickle values to it and
 * compares decoded values with it.
 */
public final class Tagged {
  public static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final long MAX_EXACT = 1L << 53;

  private Tagged() {}

  /** The tagged JSON of a value, as the vector generator writes it. */
  public static JsonNode of(Object v) {
    return switch (v) {
      case null -> F.nullNode();
      case Boolean b -> F.booleanNode(b);
      case Long l ->
          Math.abs(l) <= MAX_EXACT ? F.numberNode(l) : tag("$int", F.textNode(l.toString()));
      case BigInteger b -> tag("$int", F.textNode(b.toString()));
      case Double d ->
          d.isNaN()
              ? tag("$float", F.textNode("nan"))
              : d.isInfinite()
                  ? tag("$float", F.textNode(d > 0 ? "inf" : "-inf"))
                  : F.numberNode(d);
      case String s -> F.textNode(s);
      case Bytes b -> tag("$bytes", bytes(b));
      case Tuple t -> tag("$tuple", array(t.items()));
      case List<?> l -> array(l);
      case Map<?, ?> m -> {
        ArrayNode pairs = F.arrayNode();
        m.forEach((k, val) -> pairs.add(F.arrayNode().add(of(k)).add(of(val))));
        yield tag("$dict", pairs);
      }
      case Global g -> tag("$global", F.textNode(g.dotted()));
      case PyObject o -> {
        ObjectNode n = F.objectNode();
        n.set("callable", of(o.callable()));
        n.set("args", of(o.args()));
        n.put("how", o.kind() == PyObject.Kind.REDUCE ? "reduce" : "newobj");
        if (o.hasState()) {
          n.set("state", of(o.state()));
        }
        yield tag("$obj", n);
      }
      case Reference r -> tag("$ref", ref(r));
      default -> throw new IllegalArgumentException("no tagged form for " + v.getClass());
    };
  }

  private static ObjectNode ref(Reference r) {
    ObjectNode n = F.objectNode();
    n.put(
        "form",
        switch (r) {
          case Reference.OidClass x -> "oid_class";
          case Reference.OidOnly x -> "oid";
          case Reference.Weak x -> "weak";
          case Reference.LegacyWeak x -> "weak_legacy";
          case Reference.CrossDatabase x -> "multidb_oid";
          case Reference.CrossDatabaseClass x -> "multidb_oid_class";
        });
    n.put("oid", r.oid().value());
    n.put("oid_hex", r.oid().toHex());
    switch (r) {
      case Reference.OidClass x -> n.set("class", of(x.klass()).get("$global"));
      case Reference.CrossDatabaseClass x -> {
        n.set("class", of(x.klass()).get("$global"));
        n.put("database", x.database());
      }
      case Reference.CrossDatabase x -> n.put("database", x.database());
      case Reference.Weak x when x.database() != null -> n.put("database", x.database());
      default -> {}
    }
    return n;
  }

  private static ObjectNode bytes(Bytes b) {
    ObjectNode n = F.objectNode();
    byte[] data = b.toByteArray();
    n.put("len", data.length);
    n.put("sha256", sha256(data));
    if (data.length <= 1024) {
      n.put("hex", HexFormat.of().formatHex(data));
    } else {
      n.put("head_hex", HexFormat.of().formatHex(data, 0, 32));
      n.put("tail_hex", HexFormat.of().formatHex(data, data.length - 32, data.length));
    }
    return n;
  }

  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static ArrayNode array(List<?> items) {
    ArrayNode a = F.arrayNode();
    items.forEach(i -> a.add(of(i)));
    return a;
  }

  private static ObjectNode tag(String tag, JsonNode value) {
    ObjectNode n = F.objectNode();
    n.set(tag, value);
    return n;
  }

  /**
   * Asserts that {@code actual} matches the vector's tagged JSON: same structure and values; a
   * Python 2 string ({@code $str8}) matches bytes with the same content; bytes compare by length
   * and SHA-256.
   */
  public static void assertMatches(JsonNode expected, Object actual, String path) {
    JsonNode a = of(actual);
    compare(normalize(expected), a, path);
  }

  private static JsonNode normalize(JsonNode n) {
    if (n.isObject() && n.has("$str8")) {
      ObjectNode b = ((ObjectNode) n.get("$str8")).deepCopy();
      b.remove("ascii");
      return tag("$bytes", b);
    }
    if (n.isObject()) {
      ObjectNode o = F.objectNode();
      n.properties().forEach(e -> o.set(e.getKey(), normalize(e.getValue())));
      return o;
    }
    if (n.isArray()) {
      ArrayNode a = F.arrayNode();
      n.forEach(x -> a.add(normalize(x)));
      return a;
    }
    return n;
  }

  private static void compare(JsonNode e, JsonNode a, String path) {
    if (e.isNumber() && a.isNumber()) {
      if (e.isIntegralNumber() != a.isIntegralNumber()
          || (e.isIntegralNumber()
              ? !e.bigIntegerValue().equals(a.bigIntegerValue())
              : Double.compare(e.doubleValue(), a.doubleValue()) != 0)) {
        fail("%s: expected %s, got %s", path, e, a);
      }
      return;
    }
    if (e.getNodeType() != a.getNodeType()) {
      fail("%s: expected %s, got %s", path, e, a);
    }
    if (e.isObject()) {
      if (e.has("$bytes")) {
        JsonNode eb = e.get("$bytes");
        JsonNode ab = a.get("$bytes");
        if (ab == null
            || eb.get("len").asLong() != ab.get("len").asLong()
            || !eb.get("sha256").equals(ab.get("sha256"))) {
          fail("%s: expected bytes %s, got %s", path, e, a);
        }
        return;
      }
      Iterator<String> names = e.fieldNames();
      while (names.hasNext()) {
        String k = names.next();
        if (!a.has(k)) {
          fail("%s: missing %s in %s (expected %s)", path, k, a, e);
        }
        compare(e.get(k), a.get(k), path + "." + k);
      }
      Iterator<String> extra = a.fieldNames();
      while (extra.hasNext()) {
        String k = extra.next();
        if (!e.has(k)) {
          fail("%s: unexpected %s in %s (expected %s)", path, k, a, e);
        }
      }
      return;
    }
    if (e.isArray()) {
      if (e.size() != a.size()) {
        fail("%s: expected %d items, got %d: %s", path, e.size(), a.size(), a);
      }
      for (int i = 0; i < e.size(); i++) {
        compare(e.get(i), a.get(i), path + "[" + i + "]");
      }
      return;
    }
    if (!e.equals(a)) {
      fail("%s: expected %s, got %s", path, e, a);
    }
  }
}
