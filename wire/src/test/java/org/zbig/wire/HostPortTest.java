package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void namesAHostAndAPort() {
    assertThat(HostPort.parse("127.0.0.1:8100"))
        .isEqualTo(new InetSocketAddress("127.0.0.1", 8100));
    assertThat(HostPort.parse("[::1]:0")).isEqualTo(new InetSocketAddress("::1", 0));
    assertThat(HostPort.parse("localhost:65535").getHostString()).isEqualTo("localhost");
    assertThat(HostPort.parseList("127.0.0.1:1, 127.0.0.1:2"))
        .containsExactly(
            new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.1", 2));
  }

  @Test
  void refusesWhatIsNotHostColonPortNamingTheValue() {
    for (String bad :
        new String[] {"8100", ":8100", "host:", "host:x", "host:65536", "host:-1", ""}) {
      assertThatThrownBy(() -> HostPort.parse(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + bad + "' (expected: HOST:PORT with a port from 0 to 65535)");
    }
    assertThatThrownBy(() -> HostPort.parseList("127.0.0.1:1,x"))
        .hasMessage(
            "'x' in '127.0.0.1:1,x' (expected: HOST:PORT[,HOST:PORT...], each HOST:PORT with a port"
                + " from 0 to 65535)");
  }
}
