package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's five-minute tour, command by command, as a new user types it. */
@SuppressWarnings("try") // the server is held open by try-with-resources
class TourTest {
  @TempDir Path dir;

  private static String ok(Procs.Proc p) throws InterruptedException {
    assertThat(p.waitFor(Duration.ofMinutes(3))).as(p.output()).isZero();
    return p.output();
  }

  @Test
  void theTourWorks() throws Exception {
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      assertThat(ok(Procs.zbig(port, "array", "grow", "demo", "--rows", "100000", "--count", "1")))
          .contains("created demo\tZBigArray shape=[0, 8] dtype=<f8 order=C")
          .contains("appended rows 0..100000 of demo");
      assertThat(ok(Procs.zbig(port, "array", "info", "demo"))).contains("shape\t[100000, 8]");
      assertThat(ok(Procs.zbig(port, "array", "show", "demo", "--index=-2:,:4")))
          .contains("demo[-2:,:4]: shape [2, 4] <f8")
          .contains("799984.0 799985.0 799986.0 799987.0")
          .contains("799992.0 799993.0 799994.0 799995.0");
      try (Procs.Proc watch =
          Procs.zbig(port, "array", "watch", "demo", "--until-rows", "103000", "--timeout", "60")) {
        watch.await("demo has 100000 rows", Duration.ofMinutes(1));
        ok(
            Procs.zbig(
                port, "array", "grow", "demo", "--rows", "1000", "--count", "3", "--every", "1"));
        assertThat(ok(watch))
            .contains("demo has 101000 rows (+1000)")
            .contains("demo has 103000 rows (+1000)")
            .doesNotContain("NOT AS WRITTEN");
      }
      // the Java example, run twice: one row a run
      Path run = Procs.root().resolve("examples/hello/run.sh");
      for (String expect : List.of("stored day 0 ", "stored day 1 ")) {
        Procs.Proc hello = new Procs.Proc("hello", List.of(run.toString(), "127.0.0.1:" + port));
        assertThat(ok(hello)).contains(expect);
      }
      assertThat(ok(Procs.zbig(port, "ls")))
          .contains("demo\tZBigArray shape=[103000, 8]")
          .contains("temperatures\tZBigArray shape=[2, 24]");
    }
  }
}
