package org.zbig.clicommon;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A picocli command line described in code, not in annotations, and made along the path the
 * arguments take.
 *
 * <p><b>Why no annotations.</b> picocli reads an annotated command by reflection, and the JDK makes
 * a proxy class at run time for each annotation type it meets: generating those classes was a third
 * of a {@code bin/zbig --help}, and the launcher's ahead-of-time cache cannot keep them. Here each
 * command builds its model with picocli's programmatic API ({@link #command}, {@link #option},
 * {@link #positional}); options are bound to the command's fields through a getter and a setter, so
 * a command reads its fields as an annotated one would.
 *
 * <p><b>Along the path.</b> A {@link Node} names a command, says what a help listing shows of it
 * and how to make its model in full. A subcommand whose name is one of the arguments is made in
 * full (it may be the one chosen); every other one gets a light model with only its name and
 * description, which is all a help listing shows of it and all picocli needs to say that a word is
 * not a command. Since a subcommand can only be chosen by its name, a run behaves as with the whole
 * tree.
 *
 * <p>Loading this class also sets {@code picocli.disable.closures} (unless set): picocli then skips
 * its search for Groovy's classes through every jar.
 */
public final class CommandTree {
  static {
    // picocli looks for Groovy's closure class when it first builds an option, unless told not to:
    // a class lookup through every jar of the class path that fails, at every start
    if (System.getProperty("picocli.disable.closures") == null) {
      System.setProperty("picocli.disable.closures", "true");
    }
  }

  private CommandTree() {}

  /**
   * One command of a tree.
   *
   * @param name the word that chooses it
   * @param description its one-paragraph description, in its help and in its parent's listing
   * @param model makes its full model, given this node (see {@link #command})
   * @param subcommands in the order a help listing shows them
   */
  public record Node(
      String name, String description, Function<Node, CommandSpec> model, List<Node> subcommands) {
    /**
     * @throws IllegalArgumentException if the name is empty or has white space
     */
    public Node {
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(model, "model");
      subcommands = List.copyOf(subcommands);
      if (name.isEmpty() || name.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "command name '" + name + "' (expected: one word without white space)");
      }
    }

    /** A command without subcommands. */
    public Node(String name, String description, Function<Node, CommandSpec> model) {
      this(name, description, model, List.of());
    }
  }

  /**
   * A command line for {@code root} and {@code args}: subcommands named in {@code args} in full,
   * the others by name and description only.
   */
  public static CommandLine commandLine(Node root, String... args) {
    CommandLine cl = new CommandLine(make(root));
    attach(cl.getCommandSpec(), root, new HashSet<>(List.of(args)));
    return cl;
  }

  /** A command line with every subcommand in full, whatever the arguments (for tests of all). */
  public static CommandLine full(Node root) {
    CommandLine cl = new CommandLine(make(root));
    attach(cl.getCommandSpec(), root, null);
    return cl;
  }

  private static CommandSpec make(Node node) {
    CommandSpec spec = node.model().apply(node);
    if (!node.name().equals(spec.name())) {
      throw new IllegalStateException(
          "the model of command '" + node.name() + "' is named '" + spec.name() + "'");
    }
    return spec;
  }

  private static void attach(CommandSpec spec, Node node, Set<String> args) {
    for (Node sub : node.subcommands()) {
      if (args == null || args.contains(sub.name())) {
        CommandSpec full = make(sub);
        spec.addSubcommand(sub.name(), full);
        attach(full, sub, args);
      } else {
        CommandSpec light = CommandSpec.create().name(sub.name());
        light.usageMessage().description(sub.description());
        spec.addSubcommand(sub.name(), light);
      }
    }
  }

  /**
   * The model of {@code node}'s command, run by {@code command} (a {@link Runnable} or {@link
   * java.util.concurrent.Callable}; another object for a command that only groups subcommands),
   * with picocli's standard {@code -h, --help} and {@code -V, --version} options.
   */
  public static CommandSpec command(Object command, Node node) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(node.name());
    spec.usageMessage().description(node.description());
    spec.addOption(
        OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("Show this help message and exit.")
            .build());
    spec.addOption(
        OptionSpec.builder("-V", "--version")
            .versionHelp(true)
            .description("Print version information and exit.")
            .build());
    return spec;
  }

  /**
   * An option bound to a field of its command: picocli sets it through {@code set} (its default
   * value, then what the arguments give) and reads it through {@code get}. The field's value now is
   * the option's initial value, which picocli sets again before each parse.
   *
   * @param option names, type, labels and description; its getter and setter are replaced
   */
  public static <T> OptionSpec option(OptionSpec.Builder option, Supplier<T> get, Consumer<T> set) {
    Binding<T> b = new Binding<>(get, set);
    return option.getter(b).setter(b).initialValue(get.get()).hasInitialValue(true).build();
  }

  /** A positional parameter bound to a field of its command, as {@link #option} binds options. */
  public static <T> PositionalParamSpec positional(
      PositionalParamSpec.Builder param, Supplier<T> get, Consumer<T> set) {
    Binding<T> b = new Binding<>(get, set);
    return param.getter(b).setter(b).initialValue(get.get()).hasInitialValue(true).build();
  }

  /** The object that runs the root command of {@code spec}'s tree. */
  public static <T> T root(CommandSpec spec, Class<T> type) {
    return type.cast(spec.root().userObject());
  }

  /** A field seen by picocli through a getter and a setter of its own. */
  private static final class Binding<V> implements IGetter, ISetter {
    private final Supplier<V> get;
    private final Consumer<V> set;

    Binding(Supplier<V> get, Consumer<V> set) {
      this.get = Objects.requireNonNull(get, "get");
      this.set = Objects.requireNonNull(set, "set");
    }

    @Override
    @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"})
    public <T> T get() {
      return (T) get.get();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T set(T value) {
      T old = (T) get.get();
      set.accept((V) value);
      return old;
    }
  }
}
