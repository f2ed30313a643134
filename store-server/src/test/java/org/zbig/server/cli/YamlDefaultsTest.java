package org.zbig.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class YamlDefaultsTest {
  @TempDir Path dir;

  @Command(name = "root", subcommands = Serve.class)
  static final class Root {}

  @Command(name = "serve")
  static final class Serve implements Runnable {
    @Option(names = "--config")
    Path config;

    @Option(names = "--max", defaultValue = "5")
    int max;

    @Option(names = "--rate")
    Double rate;

    @Option(names = "--flag")
    boolean flag;

    @Option(names = "--mode", defaultValue = "off")
    String mode;

    @Option(names = "--more", split = YamlDefaults.LIST_SPLIT)
    List<String> more = new ArrayList<>();

    @Override
    public void run() {}
  }

  private Path yaml(String text) throws IOException {
    Path f = dir.resolve("settings.yaml");
    Files.writeString(f, text);
    return f;
  }

  private Serve parse(String... args) {
    CommandLine root = new CommandLine(new Root());
    YamlDefaults.install(root, () -> new CommandLine(new Root()), "serve", args);
    root.parseArgs(args);
    return root.getSubcommands().get("serve").getCommand();
  }

  @Test
  void theFileFillsWhatTheCommandLineLeavesAndTheCommandLineWins() throws IOException {
    Path f = yaml("max: 7\nrate: 2\nflag: true\nmode: on\nmore: [a=x, b=y]\n");

    Serve fromFile = parse("serve", "--config", f.toString());
    assertThat(fromFile.max).isEqualTo(7);
    assertThat(fromFile.rate).isEqualTo(2.0);
    assertThat(fromFile.flag).isTrue();
    assertThat(fromFile.mode).isEqualTo("on"); // YAML's unquoted on, as the option's text
    assertThat(fromFile.more).containsExactly("a=x", "b=y");

    Serve flags = parse("serve", "--max", "9", "--more", "c=z", "--config=" + f);
    assertThat(flags.max).isEqualTo(9);
    assertThat(flags.more).containsExactly("c=z");
    assertThat(flags.rate).isEqualTo(2.0);

    Serve none = parse("serve", "--max", "3");
    assertThat(none.max).isEqualTo(3);
    assertThat(none.mode).isEqualTo("off");
    assertThat(none.rate).isNull();
  }

  @Test
  void aBadFileNamesTheFileTheKeyTheValueAndTheExpectation() throws IOException {
    Path unknown = yaml("maxx: 7\n");
    assertThatThrownBy(() -> parse("serve", "--config", unknown.toString()))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining(unknown.toString())
        .hasMessageContaining("unknown key 'maxx' (expected one of: flag, max, mode, more, rate)");
    Path bad = yaml("max: lots\n");
    assertThatThrownBy(() -> parse("serve", "--config", bad.toString()))
        .hasMessageContaining("max: \"lots\" (expected: an integer)");
    Path huge = yaml("max: 10000000000\n");
    assertThatThrownBy(() -> parse("serve", "--config", huge.toString()))
        .hasMessageContaining("max: 10000000000 (expected: an integer)");
    Path list = yaml("- max\n");
    assertThatThrownBy(() -> parse("serve", "--config", list.toString()))
        .hasMessageContaining("a mapping of settings expected");
    assertThatThrownBy(() -> parse("serve", "--config", dir.resolve("none.yaml").toString()))
        .hasMessageContaining("--config: cannot read");
  }
}
