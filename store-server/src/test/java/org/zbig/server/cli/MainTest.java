package org.zbig.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.clicommon.CommandTree;
import picocli.CommandLine;

/** {@code bin/zbig-server}'s command tree, built in code along the path the arguments take. */
class MainTest {
  @TempDir Path dir;

  private static String run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(out));
    return cl.execute(args) + "\n" + out;
  }

  @Test
  void everyHelpAndUsageErrorReadsAsWithTheWholeTree() {
    String[][] cases = {
      {"--help"},
      {"serve", "--help"},
      {"import-fs", "--help"},
      {"pack", "--help"},
      {"backup", "--help"},
      {"serve", "--bogus"},
      {"serve", "--max-connections", "x"},
      {"import-fs"},
      {"backup"},
      {"servee"},
      {},
    };
    for (String[] args : cases) {
      assertThat(run(CommandTree.commandLine(Main.TREE, args), args))
          .as(String.join(" ", args))
          .isEqualTo(run(CommandTree.full(Main.TREE), args));
    }
    String help = run(CommandTree.commandLine(Main.TREE, "--help"), "--help");
    for (String sub : new String[] {"serve", "import-fs", "pack", "analyze", "verify", "backup"}) {
      assertThat(help).containsPattern("(?m)^  " + sub + " ");
    }
    String serve = run(CommandTree.commandLine(Main.TREE, "serve", "--help"), "serve", "--help");
    assertThat(serve)
        .startsWith("0\nUsage: zbig-server serve [-hV]")
        .contains("--listen=<listen>")
        .contains("--add-storage=NAME=DIR[,read-only][,compression=C][,dedup=on|off]")
        .contains("--client-conflict-resolution")
        .contains("(default: 127.0.0.1:8100)")
        .contains("--data=<data>")
        .contains("--jdbc-url=<url>");
    assertThat(run(CommandTree.commandLine(Main.TREE, "import-fs"), "import-fs"))
        .startsWith("2\nMissing required parameter: 'PATH/Data.fs'");
    assertThat(run(CommandTree.commandLine(Main.TREE, "backup"), "backup"))
        .startsWith("2\nMissing required parameter: 'DIR'");
  }

  @Test
  void aCommandsOwnChecksPrintTheUsageOfThatCommand() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = Main.run("serve", "--listen", "nonsense", "--data", dir.resolve("data").toString());
    } finally {
      System.setErr(err);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    assertThat(status).as(text).isEqualTo(2);
    assertThat(text)
        .startsWith("--listen: 'nonsense' (expected: HOST:PORT with a port from 0 to 65535)")
        .contains("Usage: zbig-server serve [-hV]");
  }
}
