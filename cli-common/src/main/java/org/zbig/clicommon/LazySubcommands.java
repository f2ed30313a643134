package org.zbig.clicommon;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Makes a picocli command line whose subcommands are built only where the arguments may choose
 * them.
 *
 * <p>picocli builds the model of a command (its options, read by reflection from annotations, with
 * a proxy class generated for each annotation type) when the command line is made, for every
 * subcommand of the tree: three quarters of a command-line start, although one run uses one path
 * through the tree. Here the commands list their subcommands in a map instead of their {@code
 * subcommands} attribute. A subcommand whose name is one of the arguments is built in full (it may
 * be the one chosen); every other one gets a light model with only its name and the description
 * from its {@code @Command}, which is all a help listing shows of it and all picocli needs to say
 * that a word is not a command. Since a subcommand can only be chosen by its name, a run behaves as
 * with the whole tree.
 *
 * <p>Commands are made by a factory that calls their no-argument constructor (private or not), and
 * makes the collections of multi-value options, as picocli's own does. Loading this class also sets
 * {@code picocli.disable.closures} (unless set): picocli then skips its search for Groovy's
 * classes.
 */
public final class LazySubcommands {
  static {
    // picocli looks for Groovy's closure class when it first builds an option, unless told not to:
    // a class lookup through every jar of the class path that fails, at every start
    if (System.getProperty("picocli.disable.closures") == null) {
      System.setProperty("picocli.disable.closures", "true");
    }
  }

  private final Map<Class<?>, List<Class<?>>> subcommands;

  /**
   * Builds command lines with these subcommands.
   *
   * @param subcommands each command class to the classes of its subcommands, in the order a help
   *     listing shows them; every class is annotated with {@code @Command} and has a name
   */
  public LazySubcommands(Map<Class<?>, List<Class<?>>> subcommands) {
    this.subcommands = Map.copyOf(subcommands);
    for (List<Class<?>> kids : this.subcommands.values()) {
      for (Class<?> k : kids) {
        Command c = k.getAnnotation(Command.class);
        if (c == null || c.name().equals(CommandSpec.DEFAULT_COMMAND_NAME)) {
          throw new IllegalArgumentException(
              "subcommand class " + k.getName() + " (expected: annotated @Command with a name)");
        }
      }
    }
  }

  /**
   * The factory the command lines made here use: picocli's own, which calls a command's no-argument
   * constructor, private or not, and makes the collections of multi-value options.
   */
  public static final CommandLine.IFactory FACTORY = CommandLine.defaultFactory();

  /**
   * A command line for {@code command} and {@code args}: subcommands named in {@code args} in full,
   * the others by name and description only.
   */
  public CommandLine commandLine(Object command, String... args) {
    CommandLine cl = new CommandLine(command, FACTORY);
    attach(cl, command.getClass(), new HashSet<>(Arrays.asList(args)));
    return cl;
  }

  /** A command line with every subcommand in full, whatever the arguments (for tests of all). */
  public CommandLine full(Object command) {
    CommandLine cl = new CommandLine(command, FACTORY);
    attach(cl, command.getClass(), null);
    return cl;
  }

  private void attach(CommandLine cl, Class<?> type, Set<String> args) {
    for (Class<?> k : subcommands.getOrDefault(type, List.of())) {
      Command c = Objects.requireNonNull(k.getAnnotation(Command.class));
      boolean named =
          args == null
              || args.contains(c.name())
              || Arrays.stream(c.aliases()).anyMatch(args::contains);
      if (named) {
        CommandLine sub = new CommandLine(create(k), FACTORY);
        cl.addSubcommand(c.name(), sub, c.aliases());
        attach(sub, k, args);
      } else {
        CommandSpec light = CommandSpec.create().name(c.name()).aliases(c.aliases());
        light.usageMessage().description(c.description()).header(c.header()).hidden(c.hidden());
        cl.addSubcommand(c.name(), light);
      }
    }
  }

  private static Object create(Class<?> type) {
    try {
      return FACTORY.create(type);
    } catch (Exception e) {
      throw new IllegalStateException("cannot make command " + type.getName(), e);
    }
  }
}
