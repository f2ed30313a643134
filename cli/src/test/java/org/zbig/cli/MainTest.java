package org.zbig.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.zbig.clicommon.LazySubcommands;
import picocli.CommandLine;

/** {@code bin/zbig}'s command tree, made along the path the arguments take. */
class MainTest {
  private static String run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(out));
    return cl.execute(args) + "\n" + out;
  }

  private static Main main() throws Exception {
    return LazySubcommands.FACTORY.create(Main.class);
  }

  @Test
  void everyHelpAndUsageErrorReadsAsWithTheWholeTree() throws Exception {
    String[][] cases = {
      {"--help"},
      {"array", "--help"},
      {"array"},
      {"bench", "--help"},
      {"array", "info", "--help"},
      {"array", "import", "--help"},
      {"bench", "server", "--help"},
      {"arrays"},
      {"array", "infos", "a"},
      {"--server"},
    };
    for (String[] args : cases) {
      assertThat(run(Main.COMMANDS.commandLine(main(), args), args))
          .as(String.join(" ", args))
          .isEqualTo(run(Main.COMMANDS.full(main()), args));
    }
    String help = run(Main.COMMANDS.commandLine(main(), "--help"), "--help");
    assertThat(help)
        .contains("bench  Load generators.")
        .contains("ls     List the root's keys.")
        .contains("array  Create, import, append, export and describe arrays under the root.");
    String array = run(Main.COMMANDS.commandLine(main(), "array"), "array");
    for (String sub :
        new String[] {
          "create", "import", "append", "export", "info", "log", "bench", "grow", "watch", "show"
        }) {
      assertThat(array).containsPattern("(?m)^  " + sub + " ");
    }
  }
}
