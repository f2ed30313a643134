package org.zbig.wire;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code HOST:PORT} form of a server address, as every command line option that names one takes
 * it: a host name or address (an IPv6 address in brackets, {@code [::1]:8100}), a colon and a port
 * from 0 to 65535.
 */
public final class HostPort {
  private HostPort() {}

  /** The form, as error messages name it. */
  public static final String EXPECTED = "HOST:PORT with a port from 0 to 65535";

  /**
   * The address {@code text} names, its host resolved if it can be.
   *
   * @throws IllegalArgumentException naming {@code text} and the form expected
   */
  public static InetSocketAddress parse(String text) {
    int colon = text.lastIndexOf(':');
    String host = colon > 0 ? text.substring(0, colon) : "";
    String port = colon >= 0 ? text.substring(colon + 1) : "";
    if (host.length() > 2 && host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isBlank() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
      throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED + ")");
    }
    return new InetSocketAddress(host, Integer.parseInt(port));
  }

  /**
   * The addresses of a comma-separated list ({@code HOST:PORT[,HOST:PORT...]}: servers of one
   * database).
   *
   * @throws IllegalArgumentException naming the entry that is not {@code HOST:PORT}, and the list
   */
  public static List<InetSocketAddress> parseList(String text) {
    List<InetSocketAddress> all = new ArrayList<>();
    for (String one : text.split(",", -1)) {
      try {
        all.add(parse(one.strip()));
      } catch (IllegalArgumentException e) {
        String what = one.equals(text) ? "'" + one + "'" : "'" + one + "' in '" + text + "'";
        throw new IllegalArgumentException(
            what + " (expected: HOST:PORT[,HOST:PORT...], each " + EXPECTED + ")", e);
      }
    }
    return all;
  }
}
