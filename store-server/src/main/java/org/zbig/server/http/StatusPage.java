package org.zbig.server.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import org.zbig.server.Tls;
import org.zbig.server.ZeoServer;

/**
 * Pages the status listener serves besides {@code /status} and {@code /metrics}, found with {@link
 * java.util.ServiceLoader} on the class path (the web console of module {@code console}). The
 * listener creates one instance per server, {@link #start starts} it, passes it the requests under
 * its {@link #path}, and closes it when the server stops.
 */
public interface StatusPage extends AutoCloseable {
  /** The path prefix served, such as {@code /console}. */
  String path();

  /**
   * Called once before the first request.
   *
   * @param server the server whose storages the pages show
   * @param tls the server's TLS settings, or null: a page that connects to the server as a client
   *     needs them
   */
  void start(ZeoServer server, Tls tls);

  /** Answers one request under {@link #path}; the exchange is closed by then. */
  void handle(HttpExchange exchange) throws IOException;

  @Override
  default void close() {}
}
