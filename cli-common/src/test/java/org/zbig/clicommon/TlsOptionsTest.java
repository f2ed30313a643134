package org.zbig.clicommon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

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

  @Test
  void aCommandBuiltInCodeTakesTheSameOptions() {
    TlsOptions tls = new TlsOptions();
    CommandSpec spec = CommandSpec.wrapWithoutInspection(new Object()).name("cmd");
    CommandLine cmd = new CommandLine(tls.addTo(spec) == tls ? spec : null);
    cmd.parseArgs("--tls-cert", "c.pem", "--tls-key", "c.pk8");
    assertThat(tls.certificate).isEqualTo(Path.of("c.pem"));
    assertThat(tls.key).isEqualTo(Path.of("c.pk8"));
    assertThatThrownBy(() -> tls.context(cmd))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessage("--tls-cert and --tls-key need --tls-ca");
    StringWriter help = new StringWriter();
    cmd.usage(new PrintWriter(help));
    StringWriter annotated = new StringWriter();
    new CommandLine(new Cmd()).usage(new PrintWriter(annotated));
    assertThat(help.toString()).isEqualTo(annotated.toString());
  }
}
