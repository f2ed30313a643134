package org.zbig.clicommon;

import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.zbig.wire.netty.ClientTls;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * A ZEO client's TLS options, as a picocli mixin: {@code --tls-ca} turns TLS on and names the CA
 * (or server certificate) to trust; {@code --tls-cert} and {@code --tls-key} add a client
 * certificate for a server that asks for one.
 */
public final class TlsOptions {
  @Option(
      names = "--tls-ca",
      paramLabel = "CA.pem",
      description = "speak TLS, trusting the server certificate's CA (PEM)")
  Path ca;

  @Option(
      names = "--tls-cert",
      paramLabel = "CERT.pem",
      description = "this client's certificate (PEM), with --tls-key")
  Path certificate;

  @Option(
      names = "--tls-key",
      paramLabel = "KEY.pk8",
      description = "its private key (PEM: PKCS#8, or an RSA key in PKCS#1)")
  Path key;

  /** For picocli. */
  public TlsOptions() {}

  /**
   * The TLS context the options ask for, or null for plain ZEO.
   *
   * @throws CommandLine.ParameterException of {@code cmd}, naming the options or files and what is
   *     wrong with them
   */
  public SSLContext context(CommandLine cmd) {
    if (ca == null) {
      if (certificate != null || key != null) {
        throw new CommandLine.ParameterException(cmd, "--tls-cert and --tls-key need --tls-ca");
      }
      return null;
    }
    try {
      return ClientTls.context(ca, certificate, key);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, e.getMessage());
    }
  }
}
