package org.zbig.server.cli;

import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import org.zbig.clicommon.TlsOptions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the commands that talk to a running server ({@code pack}, {@code backup}): which
 * server, which of its storages, and TLS as {@code bin/zbig} speaks it ({@code --tls-ca}, with
 * {@code --tls-cert} and {@code --tls-key} for a server that asks for client certificates). A
 * picocli mixin, so that each command declares them once.
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

  @CommandLine.Mixin TlsOptions tls;

  /** The TLS context the options ask for, or null for plain ZEO ({@link TlsOptions#context}). */
  SSLContext tls(CommandLine cmd) {
    return tls.context(cmd);
  }

  /** The server's address, or {@code cmd}'s error naming the value and the form expected. */
  InetSocketAddress address(CommandLine cmd) {
    return AdminCommands.address(cmd, "--server", server);
  }
}
