package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/zbig} and {@code bin/zbig-server} end with their command's status, whether the command
 * line returns from {@code main} (a success that left no other thread running) or calls {@code
 * System.exit} (a failure, or a success whose network threads are still ending): none of them
 * hangs.
 */
class LauncherExitTest {
  @TempDir java.nio.file.Path dir;

  private static final Duration LIMIT = Duration.ofMinutes(2);

  @Test
  void successesAndFailuresEndWithTheirStatus() throws Exception {
    int port = Procs.freePort();
    Procs.Proc help = Procs.zbig(port, "--help");
    assertThat(help.waitFor(LIMIT)).as(help.output()).isZero();
    assertThat(help.output()).contains("Usage: zbig", "array");

    Procs.Proc unknown = Procs.zbig(port, "nosuch");
    assertThat(unknown.waitFor(LIMIT)).as(unknown.output()).isEqualTo(2);
    assertThat(unknown.output()).contains("nosuch");

    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      Procs.Proc grow = Procs.zbig(port, "array", "grow", "demo", "--rows", "10", "--count", "1");
      assertThat(grow.waitFor(LIMIT)).as(grow.output()).isZero();
      Procs.Proc info = Procs.zbig(port, "array", "info", "demo");
      assertThat(info.waitFor(LIMIT)).as(info.output()).isZero();
      assertThat(info.lines).contains("name\tdemo");
      Procs.Proc missing = Procs.zbig(port, "array", "info", "nosuch");
      assertThat(missing.waitFor(LIMIT)).as(missing.output()).isEqualTo(1);
      assertThat(server.process.isAlive()).isTrue();
    }

    Procs.Proc serverHelp = zbigServer("--help");
    assertThat(serverHelp.waitFor(LIMIT)).as(serverHelp.output()).isZero();
    assertThat(serverHelp.output()).contains("Usage: zbig-server", "serve");
    Procs.Proc serverUnknown = zbigServer("nosuch");
    assertThat(serverUnknown.waitFor(LIMIT)).as(serverUnknown.output()).isEqualTo(2);
    assertThat(serverUnknown.output()).contains("nosuch");
    // a command that opens RocksDB, on the folder the server above left
    Procs.Proc verify = zbigServer("verify", "--data", dir.resolve("data").toString());
    assertThat(verify.waitFor(LIMIT)).as(verify.output()).isZero();
    Procs.Proc verifyNone = zbigServer("verify", "--data", dir.resolve("none").toString());
    assertThat(verifyNone.waitFor(LIMIT)).as(verifyNone.output()).isEqualTo(2);
  }

  private static Procs.Proc zbigServer(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Procs.root().resolve("bin/zbig-server").toString()));
    cmd.addAll(List.of(args));
    return new Procs.Proc("zbig-server " + String.join(" ", args), cmd);
  }
}
