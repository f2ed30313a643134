package org.zbig.clicommon;

import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.zbig.wire.netty.ClientTls;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A ZEO client's TLS options: {@code --tls-ca} turns TLS on and names the CA (or server
 * certificate) to trust; {@code --tls-cert} and {@code --tls-key} add a client certificate for a
 * server that asks for one. A command built with {@link CommandTree} adds them with {@link #addTo}.
 */
public final class TlsOptions {
  private static final String CA_HELP = "speak TLS, trusting the server certificate's CA (PEM)";
  private static final String CERT_HELP = "this client's certificate (PEM), with --tls-key";
  private static final String KEY_HELP = "its private key (PEM: PKCS#8, or an RSA key in PKCS#1)";

  Path ca;
  Path certificate;
  Path key;

  /** Options not given: plain ZEO until {@link #addTo}'s options are parsed. */
  public TlsOptions() {}

  /** Adds the three options to {@code spec}, bound to this object's fields; returns this. */
  public TlsOptions addTo(CommandSpec spec) {
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--tls-ca")
                .type(Path.class)
                .paramLabel("CA.pem")
                .description(CA_HELP),
            () -> ca,
            v -> ca = v));
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--tls-cert")
                .type(Path.class)
                .paramLabel("CERT.pem")
                .description(CERT_HELP),
            () -> certificate,
            v -> certificate = v));
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--tls-key")
                .type(Path.class)
                .paramLabel("KEY.pk8")
                .description(KEY_HELP),
            () -> key,
            v -> key = v));
    return this;
  }

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
