package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The docker-compose demo run for real for a bounded time, with the host-network override and the
 * local base image: the watcher sees the appender's rows arrive, each as written.
 */
class ComposeDemoTest {
  private static Process compose(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("docker-compose");
    cmd.add("-p");
    cmd.add(env.get("PROJECT"));
    cmd.add("-f");
    cmd.add("docker-compose.yml");
    cmd.add("-f");
    cmd.add("docker-compose.host.yml");
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(Procs.root().resolve("docker").toFile())
            .redirectErrorStream(true);
    pb.environment().putAll(env);
    return pb.start();
  }

  private static String run(Map<String, String> env, Duration timeout, String... args)
      throws Exception {
    Process p = compose(env, args);
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)).isTrue();
    String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("docker-compose %s:%n%s", String.join(" ", args), text).isZero();
    return text;
  }

  @Test
  void theWatcherSeesTheAppendedRowsAsWritten() throws Exception {
    Docker.assumeReady();
    Process which =
        new ProcessBuilder("docker-compose", "version").redirectErrorStream(true).start();
    which.getInputStream().readAllBytes();
    Docker.need(
        which.waitFor(60, TimeUnit.SECONDS) && which.exitValue() == 0, "no docker-compose here");
    int port = Procs.freePort();
    int statusPort = Procs.freePort();
    Map<String, String> env =
        Map.of(
            "PROJECT", "zbigit" + port,
            "ZBIG_BASE_IMAGE", Docker.BASE_IMAGE,
            "ZBIG_LISTEN", "127.0.0.1:" + port,
            "ZBIG_STATUS", "127.0.0.1:" + statusPort,
            "ZBIG_SERVER", "127.0.0.1:" + port);
    try {
      run(env, Duration.ofMinutes(5), "up", "--build", "-d");
      String logs = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline) {
        logs = run(env, Duration.ofMinutes(1), "logs", "--no-color", "watcher");
        if (countAsWritten(logs) >= 4) {
          break;
        }
        Thread.sleep(2000);
      }
      assertThat(countAsWritten(logs)).as(logs).isGreaterThanOrEqualTo(4);
      assertThat(logs).doesNotContain("NOT AS WRITTEN");
      // the demo publishes the web console, which shows the growing array
      String arrays;
      try (var in =
          java.net
              .URI
              .create("http://127.0.0.1:" + statusPort + "/console/api/arrays")
              .toURL()
              .openStream()) {
        arrays = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
      assertThat(arrays).contains("\"path\":\"demo\"").contains("\"dtype\":\"<f8\"");
      // rows only grow, 20,000 at a time
      Matcher m = Pattern.compile("has (\\d+) rows").matcher(logs);
      long last = -1;
      while (m.find()) {
        long rows = Long.parseLong(m.group(1));
        assertThat(rows).isGreaterThan(last);
        assertThat(rows % 20000).isZero();
        last = rows;
      }
    } finally {
      run(env, Duration.ofMinutes(2), "down", "-v");
    }
  }

  private static long countAsWritten(String logs) {
    return logs.lines().filter(l -> l.contains(", as written")).count();
  }
}
