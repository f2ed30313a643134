package org.zbig.zodb;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The test vectors copied from {@code testvectors/} into test resources. */
public final class Vectors {
  private Vectors() {}

  /** One record vector: its name, bytes and description. */
  public record Vector(String dir, String name, byte[] bytes, JsonNode json) {
    @Override
    public String toString() {
      return dir + "/" + name;
    }
  }

  public static Path resource(String name) {
    try {
      return Path.of(Vectors.class.getResource("/vectors/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every vector of {@code records/} or {@code legacy/}, by name. */
  public static Stream<Vector> records(String dir) {
    try (Stream<Path> files = Files.list(resource(dir))) {
      List<Path> bins = files.filter(p -> p.toString().endsWith(".bin")).sorted().toList();
      return bins.stream().map(p -> load(dir, p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Stream<Vector> all() {
    return Stream.concat(records("records"), records("legacy"));
  }

  public static JsonNode json(String name) {
    try {
      return Tagged.JSON.readTree(resource(name).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Vector load(String dir, Path bin) {
    try {
      String name = bin.getFileName().toString().replace(".bin", "");
      JsonNode json = Tagged.JSON.readTree(bin.resolveSibling(name + ".json").toFile());
      return new Vector(dir, name, Files.readAllBytes(bin), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
