package org.zbig.server.cli;

import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.TlsOptions;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options of the commands that talk to a running server ({@code pack}, {@code backup}): which
 * server, which of its storages, and TLS as {@code bin/zbig} speaks it ({@code --tls-ca}, with
 * {@code --tls-cert} and {@code --tls-key} for a server that asks for client certificates). Each
 * command adds them with {@link #addTo}.
 */
final class RemoteStorageOptions {

  String server;

  String storage;

  final TlsOptions tls = new TlsOptions();

  /** Adds the options to {@code spec}, bound to this object's fields. */
  void addTo(CommandSpec spec) {
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--server")
                .type(String.class)
                .paramLabel("<server>")
                .defaultValue("127.0.0.1:8100")
                .description("HOST:PORT (default: ${DEFAULT-VALUE})"),
            () -> server,
            v -> server = v));
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--storage")
                .type(String.class)
                .paramLabel("<storage>")
                .defaultValue("1")
                .description("storage name (default: ${DEFAULT-VALUE})"),
            () -> storage,
            v -> storage = v));
    tls.addTo(spec);
  }

  /** The TLS context the options ask for, or null for plain ZEO ({@link TlsOptions#context}). */
  SSLContext tls(CommandLine cmd) {
    return tls.context(cmd);
  }

  /** The server's address, or {@code cmd}'s error naming the value and the form expected. */
  InetSocketAddress address(CommandLine cmd) {
    return AdminCommands.address(cmd, "--server", server);
  }
}
