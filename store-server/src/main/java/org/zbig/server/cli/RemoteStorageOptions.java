package org.zbig.server.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.zbig.wire.netty.ClientTls;
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

  @Option(names = "--tls-ca", description = "speak TLS, trusting the server certificate's CA (PEM)")
  Path tlsCa;

  @Option(names = "--tls-cert", description = "this client's certificate (PEM), with --tls-key")
  Path tlsCert;

  @Option(names = "--tls-key", description = "its private key (PEM, PKCS#8)")
  Path tlsKey;

  /**
   * The TLS context the options ask for, or null for plain ZEO; {@code cmd}'s error naming the
   * files and what is wrong if they cannot be used.
   */
  SSLContext tls(CommandLine cmd) {
    if (tlsCa == null) {
      if (tlsCert != null || tlsKey != null) {
        throw new CommandLine.ParameterException(cmd, "--tls-cert and --tls-key need --tls-ca");
      }
      return null;
    }
    try {
      return ClientTls.context(tlsCa, tlsCert, tlsKey);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, e.getMessage());
    }
  }

  /** The server's address, or {@code cmd}'s error naming the value and the form expected. */
  InetSocketAddress address(CommandLine cmd) {
    return AdminCommands.address(cmd, "--server", server);
  }
}
