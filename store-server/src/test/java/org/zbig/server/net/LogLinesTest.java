package org.zbig.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a client sent reaches the log as one line of bounded length. */
class LogLinesTest {
  @Test
  void controlCharactersAreEscapedAndLongTextIsCut() {
    assertThat(ConnectionHandler.printable("storage 'a\nFAKE LOG LINE\r\u0000b'"))
        .isEqualTo("storage 'a\\u000aFAKE LOG LINE\\u000d\\u0000b'")
        .doesNotContain("\n");
    assertThat(ConnectionHandler.printable("x\u2028y\u0085z")).isEqualTo("x\\u2028y\\u0085z");
    String cut = ConnectionHandler.printable("y".repeat(10_000));
    assertThat(cut).startsWith("yyyy").endsWith("... (10000 characters)").hasSizeLessThan(2100);
    assertThat(ConnectionHandler.printable(null)).isEqualTo("null");
    assertThat(ConnectionHandler.printable("plain text, é")).isEqualTo("plain text, é");
  }
}
