package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/zbig}'s ahead-of-time cache learns from the first real command: that command records
 * what it loads, the next launch makes the cache, and neither prints a word of it. The first
 * command that moves an array's data teaches it again, once (its data path's classes and profiles);
 * the record of a command that fails is marked, and the next launch drops it. Help and usage
 * listings have a cache of their own, trained on {@code --help}, which holds nothing of the client.
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

  private static Procs.Proc export(int port, String name, Path file) throws InterruptedException {
    Procs.Proc p = Procs.zbig(port, "array", "export", name, file.toString());
    p.waitFor(Duration.ofMinutes(3));
    return p;
  }

  @Test
  void aCommandThatMovesDataTeachesTheCacheOnceAndAFailedCommandsRecordIsDropped()
      throws Exception {
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      Procs.Proc grow = Procs.zbig(port, "array", "grow", "demo", "--rows", "10", "--count", "1");
      assertThat(grow.waitFor(Duration.ofMinutes(3))).as(grow.output()).isZero();
      for (String f : cacheFiles()) {
        Files.delete(TARGET.resolve(f));
      }
      List<String> info = run(port); // records
      run(port); // makes the cache
      assertThat(cacheFiles()).containsExactly("cli.aot");

      // a data command records, but this one fails: its record is marked, and dropped next
      Procs.Proc failed = export(port, "nosuch", dir.resolve("x.npy"));
      assertThat(failed.process.exitValue()).as(failed.output()).isEqualTo(1);
      assertThat(cacheFiles())
          .hasSize(3)
          .contains("cli.aot")
          .anyMatch(f -> f.startsWith("cli.aot.conf.data.") && f.endsWith(".failed"));

      Procs.Proc first = export(port, "demo", dir.resolve("a.npy"));
      assertThat(first.process.exitValue()).as(first.output()).isZero();
      assertThat(first.lines).noneMatch(l -> l.contains("AOT") || l.contains("aot"));
      assertThat(cacheFiles())
          .hasSize(2)
          .contains("cli.aot")
          .anyMatch(f -> f.startsWith("cli.aot.conf.data.") && !f.endsWith(".failed"));

      assertThat(run(port)).isEqualTo(info); // makes the cache from the export's recording
      assertThat(cacheFiles()).containsExactlyInAnyOrder("cli.aot", "cli.aot.data");

      Procs.Proc second = export(port, "demo", dir.resolve("b.npy"));
      assertThat(second.process.exitValue()).as(second.output()).isZero();
      assertThat(Files.mismatch(dir.resolve("a.npy"), dir.resolve("b.npy"))).isEqualTo(-1);
      assertThat(cacheFiles())
          .as("learnt once")
          .containsExactlyInAnyOrder("cli.aot", "cli.aot.data");
      assertThat(server.process.isAlive()).isTrue();
    }
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

  /** {@code bin/zbig ARGS...} with the JVM's class loading logged to {@code log}. */
  private static List<String> logged(Path log, String... args) throws Exception {
    return logged("bin/zbig", log, args);
  }

  /** {@code LAUNCHER ARGS...} with the JVM's class loading logged to {@code log}. */
  private static List<String> logged(String launcher, Path log, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Procs.root().resolve(launcher).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("JAVA_TOOL_OPTIONS", "-Xlog:class+load:file=" + log);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.lines().filter(l -> !l.startsWith("Picked up JAVA_TOOL_OPTIONS")).toList();
  }

  /** Where the JVM that wrote {@code log} loaded class {@code name} from. */
  private static String source(Path log, String name) throws IOException {
    String tag = " " + name + " source: ";
    return Files.readAllLines(log).stream()
        .filter(l -> l.contains(tag))
        .map(l -> l.substring(l.indexOf(tag) + tag.length()))
        .findFirst()
        .orElse("not loaded");
  }

  @Test
  void helpHasACacheOfItsOwnAndStartsFromIt() throws Exception {
    try (Stream<Path> s = Files.list(TARGET)) {
      for (Path f : s.filter(p -> p.getFileName().toString().startsWith("cli.")).toList()) {
        if (f.getFileName().toString().contains(".aot")) {
          Files.delete(f);
        }
      }
    }
    Path log = dir.resolve("load.txt");
    List<String> help = logged(log, "--help"); // trains the help cache, then runs from it
    assertThat(help.getFirst()).startsWith("Usage: zbig [-hV]");
    assertThat(help).anyMatch(l -> l.startsWith("  array  ")).noneMatch(l -> l.contains("AOT"));
    assertThat(source(log, "org.zbig.cli.Main")).isEqualTo("shared objects file");
    assertThat(Files.exists(TARGET.resolve("cli.help.aot"))).isTrue();
    assertThat(cacheFiles()).as("the main cache is not made for help").isEmpty();

    assertThat(logged(log, "--help")).isEqualTo(help);
    List<String> array = logged(log, "array", "--help");
    assertThat(array.getFirst()).startsWith("Usage: zbig array [-hV]");
    assertThat(source(log, "org.zbig.cli.Main")).isEqualTo("shared objects file");
    assertThat(source(log, "io.netty.channel.Channel"))
        .as("help loads none of the client")
        .isEqualTo("not loaded");
    assertThat(cacheFiles()).isEmpty();
  }

  @Test
  void theServersHelpHasACacheOfItsOwnToo() throws Exception {
    Path console = Procs.root().resolve("console/target");
    Path cache = console.resolve("console.help.aot");
    Files.deleteIfExists(cache);
    Path log = dir.resolve("load.txt");
    List<String> help = logged("bin/zbig-server", log, "--help");
    assertThat(help.getFirst()).isEqualTo("Usage: zbig-server [-hV] [COMMAND]");
    assertThat(help).anyMatch(l -> l.startsWith("  serve ")).noneMatch(l -> l.contains("AOT"));
    assertThat(Files.exists(cache)).isTrue();
    assertThat(logged("bin/zbig-server", log, "--help")).isEqualTo(help);
    assertThat(source(log, "org.zbig.server.cli.Main")).isEqualTo("shared objects file");
    assertThat(source(log, "org.rocksdb.RocksDB")).isEqualTo("not loaded");
  }
}
