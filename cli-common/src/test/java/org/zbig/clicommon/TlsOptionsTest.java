package org.zbig.clicommon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

class TlsOptionsTest {
  /** A command line of the three options, parsed. */
  private record Parsed(CommandLine cmd, TlsOptions tls) {
    SSLContext context() {
      return tls.context(cmd);
    }
  }

  private static Parsed parsed(String... args) {
    TlsOptions tls = new TlsOptions();
    CommandSpec spec = CommandSpec.wrapWithoutInspection(new Object()).name("cmd");
    CommandLine cmd = new CommandLine(spec);
    assertThat(tls.addTo(spec)).isSameAs(tls);
    cmd.parseArgs(args);
    return new Parsed(cmd, tls);
  }

  @Test
  void noOptionsIsPlainZeo() {
    assertThat(parsed().context()).isNull();
  }

  @Test
  void theOptionsAreBoundAndListed() {
    Parsed p = parsed("--tls-cert", "c.pem", "--tls-key", "c.pk8");
    assertThat(p.tls().certificate).isEqualTo(Path.of("c.pem"));
    assertThat(p.tls().key).isEqualTo(Path.of("c.pk8"));
    assertThat(p.tls().ca).isNull();
    StringWriter help = new StringWriter();
    p.cmd().usage(new PrintWriter(help));
    assertThat(help.toString())
        .contains("--tls-ca=CA.pem")
        .contains("speak TLS, trusting the server certificate's CA")
        .contains("--tls-cert=CERT.pem")
        .contains("--tls-key=KEY.pk8");
  }

  @Test
  void aClientCertificateWithoutACaOrUnreadableFilesAreErrorsNamingThem() {
    Parsed noCa = parsed("--tls-cert", "c.pem", "--tls-key", "c.pk8");
    assertThatThrownBy(noCa::context)
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessage("--tls-cert and --tls-key need --tls-ca");
    Parsed missing = parsed("--tls-ca", "/nonexistent/ca.pem");
    assertThatThrownBy(missing::context)
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("/nonexistent/ca.pem")
        .hasMessageContaining("expected: readable PEM certificates");
    Parsed half = parsed("--tls-ca", "/nonexistent/ca.pem", "--tls-cert", "c.pem");
    assertThatThrownBy(half::context).hasMessageContaining("(expected: both or neither)");
  }
}
