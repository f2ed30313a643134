package org.zbig.clicommon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.zbig.clicommon.CommandTree.Node;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

class CommandTreeTest {
  /** The root: one option with a default, which the leaf reads through {@link CommandTree#root}. */
  static final class Tool {
    String server;

    static CommandSpec model(Node node) {
      Tool t = new Tool();
      CommandSpec spec = CommandTree.command(t, node);
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--server")
                  .type(String.class)
                  .paramLabel("<server>")
                  .defaultValue("here")
                  .description("where (default: ${DEFAULT-VALUE})"),
              () -> t.server,
              v -> t.server = v));
      return spec;
    }
  }

  static final List<String> made = new ArrayList<>();

  /** A leaf with a positional parameter, a repeated list option and typed options. */
  static final class Make implements Callable<Integer> {
    CommandSpec spec;
    String name;
    List<String> tags;
    long[] shape;
    int count;
    Path file;

    static CommandSpec model(Node node) {
      Make m = new Make();
      CommandSpec spec = CommandTree.command(m, node);
      m.spec = spec;
      spec.addPositional(
          CommandTree.positional(
              PositionalParamSpec.builder()
                  .index("0")
                  .arity("1")
                  .required(true)
                  .type(String.class)
                  .paramLabel("NAME"),
              () -> m.name,
              v -> m.name = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--tag").type(List.class).auxiliaryTypes(String.class),
              () -> m.tags,
              v -> m.tags = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--shape").type(long[].class).splitRegex(","),
              () -> m.shape,
              v -> m.shape = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--count").type(int.class).defaultValue("3"),
              () -> m.count,
              v -> m.count = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--file").type(Path.class), () -> m.file, v -> m.file = v));
      return spec;
    }

    @Override
    public Integer call() {
      made.add(
          CommandTree.root(spec, Tool.class).server
              + ":"
              + name
              + ":"
              + tags
              + ":"
              + Arrays.toString(shape)
              + ":"
              + count
              + ":"
              + file);
      return 7;
    }
  }

  static final List<String> built = new ArrayList<>();

  static Node node(String name, String description, Node... subcommands) {
    return new Node(
        name,
        description,
        n -> {
          built.add(n.name());
          return CommandTree.command(new Object(), n);
        },
        List.of(subcommands));
  }

  static final Node TREE =
      new Node(
          "tool",
          "A tool.",
          Tool::model,
          List.of(
              node(
                  "group",
                  "Commands on things.",
                  new Node(
                      "make",
                      "Make a thing.",
                      n -> {
                        built.add(n.name());
                        return Make.model(n);
                      }),
                  node("drop", "Drop a thing.")),
              node("other", "Other things.")));

  private static String run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    int status = cl.execute(args);
    return status + "\n" + out + err;
  }

  @Test
  void aRunBuildsOnlyTheSubcommandsItNamesAndBindsTheirFields() {
    String[] args = {
      "--server",
      "there",
      "group",
      "make",
      "a",
      "--tag",
      "x",
      "--tag",
      "y",
      "--shape",
      "2,3",
      "--file",
      "f.npy"
    };
    built.clear();
    CommandLine cl = CommandTree.commandLine(TREE, args);
    assertThat(built).containsExactly("group", "make");
    made.clear();
    assertThat(run(cl, args)).isEqualTo("7\n");
    assertThat(made).containsExactly("there:a:[x, y]:[2, 3]:3:f.npy");
  }

  @Test
  void defaultsAreSetAndARunAgainStartsFromThem() {
    String[] args = {"group", "make", "b", "--count", "9"};
    CommandLine cl = CommandTree.commandLine(TREE, args);
    made.clear();
    run(cl, args);
    run(cl, "group", "make", "c");
    assertThat(made).containsExactly("here:b:null:null:9:null", "here:c:null:null:3:null");
  }

  @Test
  void helpAndErrorsReadAsWithTheWholeTree() {
    for (String[] args :
        new String[][] {
          {"--help"},
          {"group", "--help"},
          {"group"},
          {"group", "make", "--help"},
          {"group", "mak"},
          {"group", "make", "a", "--count", "x"},
          {"group", "make"},
          {"nothing"},
          {"--server"},
        }) {
      assertThat(run(CommandTree.commandLine(TREE, args), args))
          .as(String.join(" ", args))
          .isEqualTo(run(CommandTree.full(TREE), args));
    }
    String help = run(CommandTree.commandLine(TREE, "--help"), "--help");
    assertThat(help)
        .contains("group  Commands on things.")
        .contains("other  Other things.")
        .contains("--server=<server>   where (default: here)")
        .contains("-h, --help")
        .contains("-V, --version");
    String groupHelp = run(CommandTree.commandLine(TREE, "group", "--help"), "group", "--help");
    assertThat(groupHelp).contains("make  Make a thing.").contains("drop  Drop a thing.");
    assertThat(run(CommandTree.commandLine(TREE, "group"), "group"))
        .startsWith("2\n")
        .contains("Missing required subcommand");
    String[] noName = {"group", "make"};
    assertThat(run(CommandTree.commandLine(TREE, noName), noName))
        .startsWith("2\n")
        .contains("Missing required parameter: 'NAME'");
    String[] bad = {"group", "make", "a", "--count", "x"};
    assertThat(run(CommandTree.commandLine(TREE, bad), bad))
        .startsWith("2\n")
        .contains("Invalid value for option '--count': 'x' is not an int");
  }

  @Test
  void longTextsWrapBetweenWords() {
    String description =
        "Measure a server: small-object loads with many requests in flight, durable commits,"
            + " two-megabyte records stored and loaded, each against its baseline.";
    String option =
        "the server, HOST:PORT, or several servers of one database separated by commas (failed"
            + " over in turn; the load generator spreads its connections over them)";
    String listed =
        "Print the rows of an array as other clients append them: one line per change, with"
            + " the sum of the new rows and whether they hold what was written.";
    Node tree =
        new Node(
            "tool",
            description,
            n -> {
              CommandSpec spec = CommandTree.command(new Object(), n);
              spec.addOption(
                  CommandTree.option(
                      OptionSpec.builder("--server")
                          .type(String.class)
                          .paramLabel("<server>")
                          .description(option),
                      () -> null,
                      v -> {}));
              return spec;
            },
            List.of(node("sub", listed)));
    String help = run(CommandTree.commandLine(tree, "--help"), "--help");
    // each text whole, its lines joined by one space: no word cut at the end of a line
    String joined = help.replaceAll("\\s*\\n\\s*", " ");
    assertThat(joined).as(help).contains(description).contains(option).contains(listed);
    assertThat(help.lines()).allMatch(l -> l.length() <= 80);
  }

  @Test
  void badNamesAreRefusedNamingThem() {
    assertThatThrownBy(() -> node("two words", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("command name 'two words' (expected: one word without white space)");
    assertThatThrownBy(() -> node("", "x")).hasMessageContaining("command name ''");
    Node misnamed =
        new Node("tool", "A tool.", n -> CommandSpec.wrapWithoutInspection(new Object()).name("x"));
    assertThatThrownBy(() -> CommandTree.commandLine(misnamed))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the model of command 'tool' is named 'x'");
  }
}
