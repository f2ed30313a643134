package org.zbig.server.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the commands that talk to a running server ({@code pack}, {@code backup}): which
 * server and which of its storages. A picocli mixin, so that each command declares them once.
 */
final class RemoteStorageOptions {
  @Option(
      names = "--server",
      defaultValue = "127.0.0.1:8100",
      description = "HOST:PORT (default: ${DEFAULT-VALUE})")
  String server;

  @Option(
      names = "--storage",
      defaultValue = "1",
      description = "storage name (default: ${DEFAULT-VALUE})")
  String storage;

  /** The server's address, or {@code cmd}'s error naming the value and the form expected. */
  InetSocketAddress address(CommandLine cmd) {
    return AdminCommands.address(cmd, "--server", server);
  }
}
