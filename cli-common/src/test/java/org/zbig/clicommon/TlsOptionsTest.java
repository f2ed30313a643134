package org.zbig.clicommon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class TlsOptionsTest {
  @Command(name = "cmd")
  static final class Cmd {
    @CommandLine.Mixin TlsOptions tls;
  }

  private static CommandLine parsed(String... args) {
    CommandLine cmd = new CommandLine(new Cmd());
    cmd.parseArgs(args);
    return cmd;
  }

  private static TlsOptions options(CommandLine cmd) {
    return ((Cmd) cmd.getCommand()).tls;
  }

  @Test
  void noOptionsIsPlainZeo() {
    CommandLine cmd = parsed();
    assertThat(options(cmd).context(cmd)).isNull();
  }

  @Test
  void aClientCertificateWithoutACaOrUnreadableFilesAreErrorsNamingThem() {
    CommandLine noCa = parsed("--tls-cert", "c.pem", "--tls-key", "c.pk8");
    assertThatThrownBy(() -> options(noCa).context(noCa))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessage("--tls-cert and --tls-key need --tls-ca");
    CommandLine missing = parsed("--tls-ca", "/nonexistent/ca.pem");
    assertThatThrownBy(() -> options(missing).context(missing))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("/nonexistent/ca.pem")
        .hasMessageContaining("expected: readable PEM certificates");
    CommandLine half = parsed("--tls-ca", "/nonexistent/ca.pem", "--tls-cert", "c.pem");
    assertThatThrownBy(() -> options(half).context(half))
        .hasMessageContaining("(expected: both or neither)");
  }
}
