package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/zbig}'s ahead-of-time cache learns from the first real command: that command records
 * what it loads, the next launch makes the cache, and neither prints a word of it.
 */
class LauncherCacheTest {
  @TempDir Path dir;

  private static final Path TARGET = Procs.root().resolve("cli/target");

  private static List<String> cacheFiles() throws IOException {
    try (Stream<Path> s = Files.list(TARGET)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("cli.aot")).toList();
    }
  }

  private static List<String> run(int port) throws InterruptedException {
    Procs.Proc p = Procs.zbig(port, "array", "info", "demo");
    assertThat(p.waitFor(Duration.ofMinutes(3))).as(p.output()).isZero();
    return List.copyOf(p.lines);
  }

  @Test
  void theFirstCommandRecordsTheNextMakesTheCacheAndTheOutputIsOnlyTheCommands() throws Exception {
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      Procs.Proc grow = Procs.zbig(port, "array", "grow", "demo", "--rows", "10", "--count", "1");
      assertThat(grow.waitFor(Duration.ofMinutes(3))).as(grow.output()).isZero();
      for (String f : cacheFiles()) {
        Files.delete(TARGET.resolve(f)); // as after a build that changed the jars
      }
      List<String> recording = run(port);
      assertThat(recording.getFirst()).isEqualTo("name\tdemo");
      assertThat(recording).noneMatch(l -> l.contains("AOT") || l.contains("aot"));
      assertThat(cacheFiles()).singleElement().asString().startsWith("cli.aot.conf.");

      List<String> making = run(port);
      assertThat(making).isEqualTo(recording);
      assertThat(cacheFiles()).containsExactly("cli.aot");

      assertThat(run(port)).isEqualTo(recording);
      assertThat(cacheFiles()).containsExactly("cli.aot");
      assertThat(server.process.isAlive()).isTrue();
    }
  }
}
