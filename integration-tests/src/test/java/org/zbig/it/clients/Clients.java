package org.zbig.it.clients;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.zbig.client.Database;
import org.zbig.client.zeo.ClientOptions;

/** What the client programs share. */
public final class Clients {
  private Clients() {}

  /** {@code HOST:PORT}. */
  public static InetSocketAddress address(String hostPort) {
    int c = hostPort.lastIndexOf(':');
    return new InetSocketAddress(
        hostPort.substring(0, c), Integer.parseInt(hostPort.substring(c + 1)));
  }

  /** {@code HOST:PORT[,HOST:PORT...]}: servers of one database. */
  public static java.util.List<InetSocketAddress> addresses(String hostPorts) {
    return java.util.Arrays.stream(hostPorts.split(",")).map(Clients::address).toList();
  }

  /**
   * A database on {@code hostPort} (or several servers of one database, separated by commas, failed
   * over in turn) that reconnects quickly (0.1 s, backing off to 1 s) and waits up to a minute for
   * a server.
   */
  public static Database open(String hostPort, String label) {
    ClientOptions o =
        ClientOptions.builder()
            .timeouts(Duration.ofSeconds(60), Duration.ofSeconds(30))
            .reconnect(Duration.ofMillis(100), Duration.ofSeconds(1))
            .label(label)
            .build();
    return Database.open(addresses(hostPort), o, 16 << 20);
  }

  /** Prints a line at once (the test reads it while the program runs). */
  public static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
