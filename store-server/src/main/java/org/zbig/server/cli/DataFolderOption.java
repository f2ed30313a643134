package org.zbig.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The {@code --data} option of the commands that work on a data folder ({@code serve}, {@code
 * import-fs}, {@code verify}, {@code analyze}). A picocli mixin, so that each command declares it
 * once.
 */
final class DataFolderOption {
  @Option(
      names = "--data",
      defaultValue = "./data",
      description = "data folder (default: ${DEFAULT-VALUE})")
  Path data;

  /** The folder, which must exist already, or {@code spec}'s error naming it. */
  Path existing(CommandLine.Model.CommandSpec spec) {
    if (!Files.isDirectory(data)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--data: '" + data + "' (expected: an existing data folder)");
    }
    return data;
  }
}
