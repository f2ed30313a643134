package org.zbig.client.zeo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import org.zbig.wire.netty.ClientTls;

/**
 * How a {@link ZeoClient} connects (the options of ZEO's {@code ClientStorage} of the same names).
 *
 * @param storage the storage name to register with ({@code "1"} by default)
 * @param readOnly register read-only
 * @param readOnlyFallback register read-write, and read-only if the server refuses writes
 * @param waitTimeout how long {@link ZeoClient#open} waits for the first connection
 * @param requestTimeout how long a synchronous call may wait for its reply, null for ever
 * @param heartbeat the interval of heartbeats when nothing else is sent
 * @param reconnectMin the first delay before reconnecting
 * @param reconnectMax the longest delay between reconnection attempts (exponential backoff)
 * @param maxFrame the largest frame accepted from the server
 * @param label a label the server logs for this client, or null
 * @param tls speak TLS with this context (the server's certificate is checked against the address's
 *     host name), or null for plain TCP
 * @param loadMany load many records in one call ({@code zbigLoadBeforeMany}) from servers of this
 *     project, which offer it in {@code get_info}; false, or a server without it (ZEO's), loads
 *     each record with its own {@code loadBefore}
 */
public record ClientOptions(
    String storage,
    boolean readOnly,
    boolean readOnlyFallback,
    Duration waitTimeout,
    Duration requestTimeout,
    Duration heartbeat,
    Duration reconnectMin,
    Duration reconnectMax,
    int maxFrame,
    String label,
    SSLContext tls,
    boolean loadMany) {
  /** Checks the options. */
  public ClientOptions {
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(waitTimeout, "waitTimeout");
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(reconnectMin, "reconnectMin");
    Objects.requireNonNull(reconnectMax, "reconnectMax");
    if (reconnectMin.isNegative() || reconnectMax.compareTo(reconnectMin) < 0) {
      throw new IllegalArgumentException(
          "reconnect delays: "
              + reconnectMin
              + " to "
              + reconnectMax
              + " (expected: 0 <= min <= max)");
    }
    if (maxFrame < 1024) {
      throw new IllegalArgumentException("max frame: " + maxFrame + " (expected: >= 1024)");
    }
  }

  /**
   * The defaults: storage {@code "1"}, read-write, 30 s to connect, no request timeout, a heartbeat
   * every 60 s, reconnecting after 0.1 s and backing off to 10 s, frames up to 256 MiB, many
   * records in one call where the server offers it.
   */
  public static ClientOptions defaults() {
    return builder().build();
  }

  /** A builder starting from the {@linkplain #defaults() defaults}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.storage = storage;
    b.readOnly = readOnly;
    b.readOnlyFallback = readOnlyFallback;
    b.waitTimeout = waitTimeout;
    b.requestTimeout = requestTimeout;
    b.heartbeat = heartbeat;
    b.reconnectMin = reconnectMin;
    b.reconnectMax = reconnectMax;
    b.maxFrame = maxFrame;
    b.label = label;
    b.tls = tls;
    b.loadMany = loadMany;
    return b;
  }

  /** Builds {@link ClientOptions} field by field; {@link #build()} checks them. */
  public static final class Builder {
    private String storage = "1";
    private boolean readOnly;
    private boolean readOnlyFallback;
    private Duration waitTimeout = Duration.ofSeconds(30);
    private Duration requestTimeout;
    private Duration heartbeat = Duration.ofSeconds(60);
    private Duration reconnectMin = Duration.ofMillis(100);
    private Duration reconnectMax = Duration.ofSeconds(10);
    private int maxFrame = 256 << 20;
    private String label;
    private SSLContext tls;
    private boolean loadMany = true;

    private Builder() {}

    /** See {@link ClientOptions#storage()}. */
    public Builder storage(String name) {
      this.storage = name;
      return this;
    }

    /** See {@link ClientOptions#readOnly()} and {@link ClientOptions#readOnlyFallback()}. */
    public Builder readOnly(boolean readOnly, boolean fallback) {
      this.readOnly = readOnly;
      this.readOnlyFallback = fallback;
      return this;
    }

    /** See {@link ClientOptions#waitTimeout()} and {@link ClientOptions#requestTimeout()}. */
    public Builder timeouts(Duration wait, Duration request) {
      this.waitTimeout = wait;
      this.requestTimeout = request;
      return this;
    }

    /** See {@link ClientOptions#heartbeat()}. */
    public Builder heartbeat(Duration interval) {
      this.heartbeat = interval;
      return this;
    }

    /** See {@link ClientOptions#reconnectMin()} and {@link ClientOptions#reconnectMax()}. */
    public Builder reconnect(Duration min, Duration max) {
      this.reconnectMin = min;
      this.reconnectMax = max;
      return this;
    }

    /** See {@link ClientOptions#maxFrame()}. */
    public Builder maxFrame(int bytes) {
      this.maxFrame = bytes;
      return this;
    }

    /** See {@link ClientOptions#label()}. */
    public Builder label(String label) {
      this.label = label;
      return this;
    }

    /** See {@link ClientOptions#tls()}. */
    public Builder tls(SSLContext context) {
      this.tls = context;
      return this;
    }

    /** See {@link ClientOptions#loadMany()}. */
    public Builder loadMany(boolean on) {
      this.loadMany = on;
      return this;
    }

    /**
     * The options.
     *
     * @throws IllegalArgumentException naming a value out of range
     * @throws NullPointerException naming a required value that is missing
     */
    public ClientOptions build() {
      return new ClientOptions(
          storage,
          readOnly,
          readOnlyFallback,
          waitTimeout,
          requestTimeout,
          heartbeat,
          reconnectMin,
          reconnectMax,
          maxFrame,
          label,
          tls,
          loadMany);
    }
  }

  /** These options with {@link #loadMany()} on or off. */
  public ClientOptions withLoadMany(boolean on) {
    return toBuilder().loadMany(on).build();
  }

  /** These options with another storage name. */
  public ClientOptions withStorage(String name) {
    return toBuilder().storage(name).build();
  }

  /** These options registering read-only, or with read-only fallback. */
  public ClientOptions withReadOnly(boolean readOnly, boolean fallback) {
    return toBuilder().readOnly(readOnly, fallback).build();
  }

  /** These options with other timeouts. */
  public ClientOptions withTimeouts(Duration wait, Duration request) {
    return toBuilder().timeouts(wait, request).build();
  }

  /** These options with another heartbeat interval. */
  public ClientOptions withHeartbeat(Duration interval) {
    return toBuilder().heartbeat(interval).build();
  }

  /** These options with a client label. */
  public ClientOptions withLabel(String label) {
    return toBuilder().label(label).build();
  }

  /**
   * These options speaking TLS with {@code context} (ZEO's {@code ssl} argument): the server's
   * certificate must be trusted by the context and name the host connected to; a client certificate
   * in the context is presented when the server asks for one.
   */
  public ClientOptions withTls(SSLContext context) {
    return toBuilder().tls(context).build();
  }

  /**
   * These options speaking TLS, from PEM files as the server takes them: the certificate (or CA)
   * the server's certificate must chain to, and optionally this client's certificate chain and
   * private key (PKCS#8, or an RSA key in PKCS#1) for a server that requires client certificates.
   *
   * @param trusted the CA or server certificate to trust (PEM)
   * @param certificate this client's certificate chain (PEM), or null
   * @param key its private key (PEM, PKCS#8 or an RSA key in PKCS#1), or null
   * @throws IllegalArgumentException naming the files when they cannot be used
   */
  public ClientOptions withTls(Path trusted, Path certificate, Path key) {
    return withTls(ClientTls.context(trusted, certificate, key));
  }
}
