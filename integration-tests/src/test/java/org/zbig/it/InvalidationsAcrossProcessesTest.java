package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.it.clients.PingPong;

/** Client processes see each other's commits through the server's invalidations. */
@SuppressWarnings("try") // servers are held open by try-with-resources
class InvalidationsAcrossProcessesTest {
  @TempDir Path dir;

  @Test
  void twoClientProcessesTakeTurnsThroughObjects() throws Exception {
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"));
        Procs.Proc pong = Procs.java(PingPong.class, "127.0.0.1:" + port, "pong", "30");
        Procs.Proc ping = Procs.java(PingPong.class, "127.0.0.1:" + port, "ping", "30")) {
      assertThat(ping.waitFor(Duration.ofMinutes(2))).as(ping.output()).isZero();
      assertThat(pong.waitFor(Duration.ofMinutes(1))).as(pong.output()).isZero();
      assertThat(ping.lines).contains("ping round 30");
      assertThat(pong.lines).contains("pong round 30");
    }
  }

  @Test
  void aWatcherProcessSeesTheArrayPagesAnotherProcessAppends() throws Exception {
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      // 100,000 rows of 8 float64 a round: 6.4 MB, several 2 MiB blocks each
      try (Procs.Proc first =
          Procs.zbig(port, "array", "grow", "a", "--rows", "100000", "--count", "1")) {
        assertThat(first.waitFor(Duration.ofMinutes(2))).as(first.output()).isZero();
      }
      try (Procs.Proc watch =
              Procs.zbig(port, "array", "watch", "a", "--until-rows", "400000", "--timeout", "60");
          Procs.Proc grow =
              Procs.zbig(
                  port, "array", "grow", "a", "--rows", "100000", "--count", "3", "--every",
                  "0.3")) {
        watch.await("has 100000 rows", Duration.ofMinutes(2));
        assertThat(grow.waitFor(Duration.ofMinutes(2))).as(grow.output()).isZero();
        assertThat(watch.waitFor(Duration.ofMinutes(1))).as(watch.output()).isZero();
        assertThat(watch.output())
            .contains("has 400000 rows")
            .doesNotContain("NOT AS WRITTEN")
            .doesNotContain("no change");
      }
    }
  }
}
