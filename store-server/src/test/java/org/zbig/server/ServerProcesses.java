package org.zbig.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.zbig.server.cli.Main;

/** {@code zbig-server serve} in a JVM of its own, for tests that kill it or run several. */
final class ServerProcesses {
  private static final Pattern READY = Pattern.compile("ready on ([^:]+):(\\d+) ");

  private ServerProcesses() {}

  /**
   * Where the servers' RocksDB loaders copy their JNI library ({@code ROCKSDB_SHAREDLIB_DIR}),
   * deleted when this JVM ends: a server killed with SIGKILL leaves its 17 MB copy behind, which in
   * the default temporary folder stayed there for good.
   */
  private static final Path NATIVE_COPIES = nativeCopies();

  private static Path nativeCopies() {
    try {
      Path dir = Files.createTempDirectory("zbig-rocksdb-jni");
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(() -> {
                try (Stream<Path> files = Files.list(dir)) {
                  for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                  }
                  Files.deleteIfExists(dir);
                } catch (IOException e) {
                  // only a temporary folder left behind
                }
              }));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A started server and the address it listens on. */
  record Started(Process process, InetSocketAddress address) {}

  /**
   * Starts {@code serve --listen 127.0.0.1:0 ARGS} and waits for its ready line. The output after
   * it is added to {@code lines} ({@code null}: dropped), read until the process ends.
   */
  static Started start(List<String> lines, String... args)
      throws IOException, InterruptedException {
    return start(lines, List.of(), args);
  }

  /** As {@link #start(List, String...)}, with JVM options {@code jvm}. */
  static Started start(List<String> lines, List<String> jvm, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvm);
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("--sun-misc-unsafe-memory-access=allow");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("serve");
    cmd.add("--listen");
    cmd.add("127.0.0.1:0");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ROCKSDB_SHAREDLIB_DIR", NATIVE_COPIES.toString());
    Process p = pb.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    for (String line; (line = out.readLine()) != null; ) {
      seen.add(line);
      Matcher m = READY.matcher(line);
      if (m.find()) {
        Thread.ofVirtual()
            .start(() -> {
              try {
                out.lines()
                    .forEach(l -> {
                      if (lines != null) {
                        lines.add(l);
                      }
                    });
              } catch (UncheckedIOException closed) {
                // the process was destroyed: its output is gone
              }
            });
        return new Started(p, new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
      }
    }
    p.waitFor();
    throw new AssertionError(
        "the server exited with " + p.exitValue() + " before it was ready: " + seen);
  }
}
