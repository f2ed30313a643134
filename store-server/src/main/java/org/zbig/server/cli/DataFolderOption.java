package org.zbig.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.zbig.clicommon.CommandTree;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code --data} option of the commands that work on a data folder ({@code serve}, {@code
 * import-fs}, {@code verify}, {@code analyze}); each command adds it with {@link #addTo}.
 */
final class DataFolderOption {
  Path data;

  /** Adds {@code --data} to {@code spec}, bound to this object's field. */
  void addTo(CommandSpec spec) {
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--data")
                .type(Path.class)
                .paramLabel("<data>")
                .defaultValue("./data")
                .description("data folder (default: ${DEFAULT-VALUE})"),
            () -> data,
            v -> data = v));
  }

  /** The folder, which must exist already, or {@code spec}'s error naming it. */
  Path existing(CommandSpec spec) {
    if (!Files.isDirectory(data)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--data: '" + data + "' (expected: an existing data folder)");
    }
    return data;
  }
}
