package org.zbig.clicommon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

class LazySubcommandsTest {
  @Command(name = "tool", mixinStandardHelpOptions = true, description = "A tool.")
  static final class Tool {
    @Option(names = "--server", defaultValue = "here")
    String server;

    private Tool() {}
  }

  @Command(name = "group", mixinStandardHelpOptions = true, description = "Commands on things.")
  static final class Group {
    @ParentCommand Tool tool;
  }

  @Command(
      name = "make",
      aliases = "mk",
      mixinStandardHelpOptions = true,
      description = {"Make a thing.", "Second line."})
  static final class Make implements Callable<Integer> {
    @ParentCommand Group group;

    @Option(names = "--tag")
    List<String> tags;

    @Parameters(index = "0")
    String name;

    static final List<String> made = new ArrayList<>();

    @Override
    public Integer call() {
      made.add(group.tool.server + ":" + name + ":" + tags);
      return 7;
    }
  }

  @Command(name = "drop", header = "Drop a thing.", description = "More about dropping.")
  static final class Drop implements Callable<Integer> {
    @Override
    public Integer call() {
      return 0;
    }
  }

  @Command(name = "hidden", hidden = true, description = "Not listed.")
  static final class Hidden {}

  static final LazySubcommands COMMANDS =
      new LazySubcommands(
          Map.of(
              Tool.class, List.of(Group.class, Hidden.class),
              Group.class, List.of(Make.class, Drop.class)));

  private static Tool tool() throws Exception {
    return LazySubcommands.FACTORY.create(Tool.class);
  }

  private static Object command(CommandLine cl) {
    return cl.getCommand();
  }

  private static String run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    int status = cl.execute(args);
    return status + "\n" + out + err;
  }

  @Test
  void aRunBuildsOnlyTheSubcommandsItNamesAndBehavesAsTheWholeTree() throws Exception {
    CommandLine cl = COMMANDS.commandLine(tool(), "--server", "there", "group", "mk", "a");
    CommandLine group = cl.getSubcommands().get("group");
    assertThat(command(group)).isInstanceOf(Group.class);
    assertThat(command(cl.getSubcommands().get("hidden")) instanceof Hidden).as("built").isFalse();
    assertThat(command(group.getSubcommands().get("make"))).isInstanceOf(Make.class);
    assertThat(command(group.getSubcommands().get("drop")) instanceof Drop).as("built").isFalse();
    Make.made.clear();
    assertThat(run(cl, "--server", "there", "group", "mk", "a", "--tag", "x", "--tag", "y"))
        .startsWith("7\n");
    assertThat(Make.made).containsExactly("there:a:[x, y]"); // parent, alias and list option
  }

  @Test
  void helpAndErrorsReadAsWithTheWholeTree() throws Exception {
    for (String[] args :
        new String[][] {
          {"--help"},
          {"group", "--help"},
          {"group"},
          {"group", "make", "--help"},
          {"group", "mak"},
          {"nothing"},
          {"--server"},
        }) {
      assertThat(run(COMMANDS.commandLine(tool(), args), args))
          .as(String.join(" ", args))
          .isEqualTo(run(COMMANDS.full(tool()), args));
    }
    String help = run(COMMANDS.commandLine(tool(), "--help"), "--help");
    assertThat(help).contains("group  Commands on things.").doesNotContain("hidden");
    String groupHelp = run(COMMANDS.commandLine(tool(), "group", "--help"), "group", "--help");
    assertThat(groupHelp).contains("make, mk  Make a thing.").contains("drop      Drop a thing.");
  }

  @Command(description = "no name")
  static final class Nameless {}

  @Test
  void aSubcommandWithoutANameIsRefused() {
    assertThatThrownBy(() -> new LazySubcommands(Map.of(Tool.class, List.of(Nameless.class))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Nameless")
        .hasMessageContaining("expected: annotated @Command with a name");
    assertThatThrownBy(() -> new LazySubcommands(Map.of(Tool.class, List.of(String.class))))
        .hasMessageContaining("java.lang.String");
  }
}
