package org.zbig.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.zbig.server.Tls;
import org.zbig.server.ZeoServer;
import org.zbig.server.commit.ServedStorage;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;

/**
 * The operator's view of a running server over HTTP: {@code GET /status} is JSON (storages with
 * their last tid, sizes and counters, connections with address, label and requests in flight,
 * commit and lock-wait statistics), {@code GET /metrics} the same numbers in Prometheus' text
 * format through Micrometer. Other pages come from {@link StatusPage} services found on the class
 * path (the web console). With TLS configured for the server, the listener speaks HTTPS with the
 * server's certificate (no client certificates asked).
 */
public final class StatusServer implements AutoCloseable {
  private final HttpServer http;
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final ZeoServer server;
  private final List<StatusPage> pages = new ArrayList<>();

  /** Serves {@code server}'s status on {@code address} over plain HTTP. */
  public StatusServer(InetSocketAddress address, ZeoServer server) throws IOException {
    this(address, server, null);
  }

  /**
   * Serves {@code server}'s status, and the pages found on the class path, on {@code address}: over
   * HTTPS with {@code tls}'s certificate, or plain HTTP when it is null.
   */
  public StatusServer(InetSocketAddress address, ZeoServer server, Tls tls) throws IOException {
    this.server = server;
    for (ServedStorage s : server.storages().values()) {
      Tags tags = Tags.of("storage", s.name);
      Map<String, AtomicLong> counters = new LinkedHashMap<>();
      counters.put("zbig_loads", s.loads);
      counters.put("zbig_commits", s.commits);
      counters.put("zbig_aborts", s.aborts);
      counters.put("zbig_conflicts", s.conflicts);
      counters.put("zbig_lock_waits", s.lockWaits);
      counters.forEach((metric, n) ->
          FunctionCounter.builder(metric, n, AtomicLong::doubleValue)
              .tags(tags)
              .register(registry));
      FunctionCounter.builder("zbig_lock_wait_seconds", s.lockWaitNanos, n -> n.get() / 1e9)
          .tags(tags)
          .register(registry);
      Gauge.builder("zbig_connections", s, ServedStorage::connections)
          .tags(tags)
          .register(registry);
      Gauge.builder("zbig_paused_connections", s.paused, AtomicLong::doubleValue)
          .tags(tags)
          .register(registry);
      Gauge.builder("zbig_objects", s.storage, Storage::objectCount).tags(tags).register(registry);
      Gauge.builder("zbig_bytes", s.storage, Storage::size).tags(tags).register(registry);
      if (s.storage instanceof KvStorage kv) {
        for (String part : kv.memory().keySet()) { // memtable-bytes -> zbig_memtable_bytes
          Gauge.builder(
                  "zbig_" + part.replace('-', '_'),
                  kv,
                  k -> k.memory().getOrDefault(part, 0L).doubleValue())
              .tags(tags)
              .register(registry);
        }
      }
    }
    if (tls == null) {
      http = HttpServer.create(address, 16);
    } else {
      HttpsServer https = HttpsServer.create(address, 16);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.jdkContext()));
      http = https;
    }
    http.setExecutor(
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("zbig-status-", 0).factory()));
    http.createContext("/status", this::status);
    http.createContext("/metrics", this::metrics);
    for (StatusPage page : ServiceLoader.load(StatusPage.class)) {
      page.start(server, tls);
      pages.add(page);
      http.createContext(page.path(), page::handle);
    }
    http.start();
  }

  /** The address listened on. */
  public InetSocketAddress address() {
    return http.getAddress();
  }

  private void status(HttpExchange ex) throws IOException {
    Map<String, Object> storages = new LinkedHashMap<>();
    List<Map<String, Object>> connections = new ArrayList<>();
    for (ServedStorage s : server.storages().values()) {
      Map<String, Object> storage = new LinkedHashMap<>(s.status());
      storage.putAll(s.sizeInfo());
      storage.put("read-only", s.readOnly);
      storage.put("write-failure", s.storage.writeFailure().orElse(null));
      storage.put("lock-waits", s.lockWaits.get());
      storage.put("lock-wait-seconds", s.lockWaitNanos.get() / 1e9);
      storages.put(s.name, storage);
      for (Map<String, Object> c : s.describeConnections()) {
        Map<String, Object> d = new LinkedHashMap<>(c);
        d.put("storage", s.name);
        connections.add(d);
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("storages", storages);
    body.put("connections", connections);
    send(ex, "application/json", json.writeValueAsBytes(body));
  }

  private void metrics(HttpExchange ex) throws IOException {
    send(
        ex,
        "text/plain; version=0.0.4; charset=utf-8",
        registry.scrape().getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, String type, byte[] body) throws IOException {
    if (!ex.getRequestMethod().equals("GET")) {
      ex.sendResponseHeaders(405, -1);
      ex.close();
      return;
    }
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** The paths of the pages found besides {@code /status} and {@code /metrics}. */
  public List<String> pages() {
    return pages.stream().map(StatusPage::path).toList();
  }

  @Override
  public void close() {
    http.stop(0);
    for (StatusPage p : pages) {
      p.close();
    }
    registry.close();
  }
}
