package org.zbig.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The settings of a {@code --config} YAML file as picocli default values of a command's options:
 * keyed by the option names without {@code --} ({@code max-connections: 100}), so an option given
 * on the command line wins over the file, and the file over the option's own default.
 *
 * <p>The file is read and checked before the command line is parsed (picocli applies defaults
 * first): an unknown key, or a value that is not of the option's type, is a {@link
 * CommandLine.ParameterException} naming the file, the key, the value and the expectation. A YAML
 * list for a repeatable option becomes one default of lines, which that option splits ({@link
 * #LIST_SPLIT}).
 */
final class YamlDefaults implements CommandLine.IDefaultValueProvider {
  /** The split of a repeatable option that a YAML list fills: one value per line. */
  static final String LIST_SPLIT = "\\n";

  private final Map<String, String> byOption;

  private YamlDefaults(Map<String, String> byOption) {
    this.byOption = byOption;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    return arg instanceof OptionSpec o ? byOption.get(o.longestName()) : null;
  }

  /**
   * If {@code args} run {@code command} (a subcommand of {@code root}) with {@code --config FILE},
   * reads FILE and makes it the command's default-value provider.
   *
   * @param probe makes a fresh command line of the same tree, for a first parse that finds the file
   * @throws CommandLine.ParameterException if the file cannot be read or holds a bad setting
   */
  static void install(
      CommandLine root, Supplier<CommandLine> probe, String command, String... args) {
    Path file = configArgument(probe, command, args);
    if (file == null) {
      return;
    }
    CommandLine cmd = root.getSubcommands().get(command);
    cmd.setDefaultValueProvider(new YamlDefaults(read(cmd.getCommandSpec(), file)));
  }

  /** The {@code --config} value {@code args} give {@code command}, or null. */
  private static Path configArgument(Supplier<CommandLine> probe, String command, String... args) {
    boolean mentioned = false;
    for (String a : args) {
      mentioned |= a.equals("--config") || a.startsWith("--config=");
    }
    if (!mentioned) {
      return null; // no second parse for the common case
    }
    try {
      // a throwaway parse: the real one comes after the defaults are known
      CommandLine.ParseResult parsed = probe.get().parseArgs(args);
      CommandLine.ParseResult sub = parsed.subcommand();
      if (sub == null || !sub.commandSpec().name().equals(command)) {
        return null;
      }
      return sub.matchedOptionValue("--config", null);
    } catch (CommandLine.ParameterException e) {
      return null; // the real parse reports it
    }
  }

  /** The file's settings as command-line values, by option name. */
  private static Map<String, String> read(CommandSpec spec, Path file) {
    CommandLine cmd = spec.commandLine();
    Map<String, OptionSpec> byKey = new TreeMap<>();
    for (OptionSpec o : spec.options()) {
      String name = o.longestName();
      if (name.startsWith("--") && !o.usageHelp() && !o.versionHelp() && !name.equals("--config")) {
        byKey.put(name.substring(2), o);
      }
    }
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new CommandLine.ParameterException(
          cmd, "--config: cannot read " + file + ": " + e.getMessage());
    }
    Map<String, String> out = new HashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out;
    }
    if (!root.isObject()) {
      throw new CommandLine.ParameterException(
          cmd, "--config " + file + ": a mapping of settings expected");
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String key = e.getKey();
      OptionSpec o = byKey.get(key);
      if (o == null) {
        throw new CommandLine.ParameterException(
            cmd,
            "--config "
                + file
                + ": unknown key '"
                + key
                + "' (expected one of: "
                + String.join(", ", byKey.keySet())
                + ")");
      }
      JsonNode v = e.getValue();
      try {
        out.put(o.longestName(), text(o.typeInfo().getType(), v));
      } catch (IllegalArgumentException bad) {
        throw new CommandLine.ParameterException(
            cmd,
            "--config " + file + ": " + key + ": " + v + " (expected: " + bad.getMessage() + ")");
      }
    }
    return out;
  }

  /** {@code v} as the command line would give it for an option of type {@code type}. */
  private static String text(Class<?> type, JsonNode v) {
    return switch (type.getName()) {
      case "int", "java.lang.Integer" -> {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
          throw new IllegalArgumentException("an integer");
        }
        yield v.asText();
      }
      case "long", "java.lang.Long" -> {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
          throw new IllegalArgumentException("an integer");
        }
        yield v.asText();
      }
      case "double", "java.lang.Double" -> {
        if (!v.isNumber()) {
          throw new IllegalArgumentException("a number");
        }
        yield Double.toString(v.doubleValue());
      }
      case "boolean", "java.lang.Boolean" -> {
        if (!v.isBoolean()) {
          throw new IllegalArgumentException("true or false");
        }
        yield Boolean.toString(v.booleanValue());
      }
      case "java.util.List" -> String.join("\n", texts(v));
      default -> scalar(v);
    };
  }

  private static List<String> texts(JsonNode v) {
    if (v.isTextual()) {
      return List.of(v.textValue());
    }
    if (!v.isArray()) {
      throw new IllegalArgumentException("a string or a list of strings");
    }
    List<String> all = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual() || e.textValue().contains("\n")) {
        throw new IllegalArgumentException("a string or a list of strings");
      }
      all.add(e.textValue());
    }
    return all;
  }

  private static String scalar(JsonNode v) {
    if (v.isBoolean()) {
      return v.booleanValue() ? "on" : "off"; // YAML reads an unquoted on or off as a boolean
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException("a string");
    }
    return v.textValue();
  }
}
