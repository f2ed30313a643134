package org.zbig.wire.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.zbig.wire.Encoding;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.Role;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * The recorded ZEO exchanges copied from {@code testvectors/zeo/} into test resources: one {@link
 * Frame} per line of the {@code .jsonl} files, and the tagged JSON of their {@code decoded} field
 * turned into wire values.
 */
public final class ZeoVectors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ZeoVectors() {}

  /** One recorded frame. */
  public record Frame(
      String file, int seq, int conn, String dir, String kind, byte[] wire, JsonNode decoded) {
    /** Whether the client sent it. */
    public boolean fromClient() {
      return dir.equals("c2s");
    }

    /** The payload without the 4-byte length. */
    public byte[] payload() {
      return Arrays.copyOfRange(wire, 4, wire.length);
    }

    /** The encoding of the file's folder. */
    public Encoding encoding() {
      return file.startsWith("msgpack/") ? Encoding.MSGPACK : Encoding.PICKLE;
    }

    /** The codec of the end that received this frame. */
    public MessageCodec codec() {
      return new MessageCodec(encoding(), fromClient() ? Role.SERVER : Role.CLIENT);
    }

    /** The frame decoded by the end that received it. */
    public Message message() {
      byte[] p = payload();
      return codec().decode(p, 0, p.length);
    }

    /** The decoded value as wire values. */
    public Object value() {
      return ZeoVectors.value(decoded);
    }

    @Override
    public String toString() {
      return file + " #" + seq + " " + dir;
    }
  }

  private static Path root() {
    try {
      java.net.URI uri = ZeoVectors.class.getResource("/zeo").toURI();
      if (uri.getScheme().equals("jar")) { // read from the wire module's test jar
        try {
          return java.nio.file.FileSystems.newFileSystem(uri, Map.of()).getPath("/zeo");
        } catch (java.nio.file.FileSystemAlreadyExistsException e) {
          return java.nio.file.FileSystems.getFileSystem(uri).getPath("/zeo");
        }
      }
      return Path.of(uri);
    } catch (URISyntaxException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The scenario files of one folder ({@code pickle} or {@code msgpack}), sorted. */
  public static List<String> files(String folder) {
    try (Stream<Path> s = Files.list(root().resolve(folder))) {
      return s.map(p -> folder + "/" + p.getFileName()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every frame of one scenario file, in order. */
  public static List<Frame> frames(String file) {
    try {
      List<Frame> out = new ArrayList<>();
      for (String line : Files.readAllLines(root().resolve(file))) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n = JSON.readTree(line);
        out.add(
            new Frame(
                file,
                n.get("seq").asInt(),
                n.get("conn").asInt(),
                n.get("dir").asText(),
                n.get("kind").asText(),
                HexFormat.of().parseHex(n.get("hex").asText()),
                n.get("decoded")));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every frame of both folders. */
  public static Stream<Frame> all() {
    return Stream.concat(files("pickle").stream(), files("msgpack").stream())
        .flatMap(f -> frames(f).stream());
  }

  /** Every message frame (after the handshake) of both folders. */
  public static Stream<Frame> messages() {
    return all().filter(f -> f.kind().equals("message"));
  }

  /**
   * The wire value of tagged JSON: {@code $bytes} hex, {@code $tuple}, {@code $int}, {@code $dict}
   * pairs; arrays are lists (in the msgpack files every array stands for a tuple, which the
   * comparison allows for).
   */
  public static Object value(JsonNode n) {
    if (n.isNull()) {
      return null;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isIntegralNumber()) {
      return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(x -> l.add(value(x)));
      return l;
    }
    if (n.has("$bytes")) {
      return Bytes.ofHex(n.get("$bytes").asText());
    }
    if (n.has("$tuple")) {
      List<Object> l = new ArrayList<>();
      n.get("$tuple").forEach(x -> l.add(value(x)));
      return Tuple.copyOf(l);
    }
    if (n.has("$int")) {
      return new BigInteger(n.get("$int").asText());
    }
    Map<Object, Object> m = new LinkedHashMap<>();
    if (n.has("$dict")) {
      n.get("$dict").forEach(p -> m.put(value(p.get(0)), value(p.get(1))));
    } else {
      n.properties().forEach(e -> m.put(e.getKey(), value(e.getValue())));
    }
    return m;
  }

  /**
   * A value with every list turned into a tuple and every bool into an int: what stays the same
   * when a message is re-encoded from its record (msgpack has no list/tuple distinction; clients
   * send {@code 0} where we write {@code False}).
   */
  public static Object loose(Object v) {
    return normalize(v, true);
  }

  /** A value with every list turned into a tuple, as a msgpack peer decodes it. */
  public static Object arraysAsTuples(Object v) {
    return normalize(v, false);
  }

  private static Object normalize(Object v, boolean boolsToInts) {
    return switch (v) {
      case Boolean b when boolsToInts -> b ? 1L : 0L;
      case Tuple t -> Tuple.copyOf(t.items().stream().map(x -> normalize(x, boolsToInts)).toList());
      case List<?> l -> Tuple.copyOf(l.stream().map(x -> normalize(x, boolsToInts)).toList());
      case Map<?, ?> m -> {
        Map<Object, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(normalize(k, boolsToInts), normalize(x, boolsToInts)));
        yield out;
      }
      case null, default -> v;
    };
  }
}
