package org.zbig.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.zbig.clicommon.CommandTree;
import picocli.CommandLine;

/** {@code bin/zbig}'s command tree, made along the path the arguments take. */
class MainTest {
  private static String run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(out));
    return cl.execute(args) + "\n" + out;
  }

  @Test
  void everyHelpAndUsageErrorReadsAsWithTheWholeTree() {
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
      assertThat(run(CommandTree.commandLine(Main.TREE, args), args))
          .as(String.join(" ", args))
          .isEqualTo(run(CommandTree.full(Main.TREE), args));
    }
    String help = run(CommandTree.commandLine(Main.TREE, "--help"), "--help");
    assertThat(help)
        .contains("bench  Load generators.")
        .contains("ls     List the root's keys.")
        .contains("array  Create, import, append, export and describe arrays under the root.");
    for (String[][] missing :
        new String[][][] {
          {{"array", "info"}, {"Missing required parameter: 'NAME'"}},
          {{"array", "import", "a"}, {"Missing required parameter: 'FILE.npy'"}},
          {{"array", "create", "a"}, {"Missing required option: '--shape=<shape>'"}},
          {{"bench", "server", "--connections", "x"}, {"'x' is not an int"}},
        }) {
      assertThat(run(CommandTree.commandLine(Main.TREE, missing[0]), missing[0]))
          .as(String.join(" ", missing[0]))
          .startsWith("2\n")
          .contains(missing[1][0]);
    }
    String array = run(CommandTree.commandLine(Main.TREE, "array"), "array");
    for (String sub :
        new String[] {
          "create", "import", "append", "export", "info", "log", "bench", "grow", "watch", "show"
        }) {
      assertThat(array).containsPattern("(?m)^  " + sub + " ");
    }
  }
}
