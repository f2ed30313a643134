package org.zbig.clicommon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void awayFromATerminalProgressIsPlainLinesWithoutEscapesOrCarriageReturns() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        ProgressBar pb = Progress.plain("import x", 4L << 20, true, out)) {
      pb.stepTo(2L << 20);
      pb.stepTo(4L << 20);
    }
    String text = buf.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("import x").contains("MiB").endsWith(System.lineSeparator());
    assertThat(text).doesNotContain("\r").doesNotContain("\u001b");
  }
}
