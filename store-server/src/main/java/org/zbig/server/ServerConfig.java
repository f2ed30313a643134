package org.zbig.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.zbig.wire.Encoding;

/**
 * The settings of one server (the command line's {@code serve} options).
 *
 * @param host the address to listen on
 * @param port the port, 0 for any free one
 * @param data the data folder, null for an in-memory storage
 * @param storageName the name clients register with ({@code "1"}, as ZEO's default)
 * @param offer the encoding offered in the handshake
 * @param readOnly whether every write fails with ReadOnlyError
 * @param invalidationQueueSize how many recent transactions {@code getInvalidations} can list
 * @param transactionTimeout how long a voted transaction may hold its locks, null for ever
 * @param packGc whether pack also removes objects unreachable from the root
 * @param maxFrame the largest frame accepted, in bytes
 * @param invalidationAge when {@code getInvalidations} asks for more than the queue holds: how old
 *     a client's last transaction may be for the server to list the changes since by reading the
 *     storage's transactions (ZEO's {@code invalidation-age}), null for never
 * @param clientConflictResolution ZEO's {@code client-conflict-resolution}: every conflict goes
 *     back to the client, none is merged on the server
 * @param commitGather the longest a group write waits for the transactions still open to finish and
 *     share its synced write (never longer than a write takes), zero for never: see {@link
 *     org.zbig.server.commit.Committer}
 */
public record ServerConfig(
    String host,
    int port,
    Path data,
    String storageName,
    Encoding offer,
    boolean readOnly,
    int invalidationQueueSize,
    Duration transactionTimeout,
    boolean packGc,
    int maxFrame,
    Duration invalidationAge,
    boolean clientConflictResolution,
    Duration commitGather) {
  /** The default {@link #commitGather()}. */
  public static final Duration COMMIT_GATHER = Duration.ofMillis(1);

  /**
   * The settings without an invalidation age, conflicts merged on the server where it can, the
   * default {@link #commitGather()}.
   */
  public ServerConfig(
      String host,
      int port,
      Path data,
      String storageName,
      Encoding offer,
      boolean readOnly,
      int invalidationQueueSize,
      Duration transactionTimeout,
      boolean packGc,
      int maxFrame) {
    this(
        host,
        port,
        data,
        storageName,
        offer,
        readOnly,
        invalidationQueueSize,
        transactionTimeout,
        packGc,
        maxFrame,
        null,
        false,
        COMMIT_GATHER);
  }

  /** Checks the settings. */
  public ServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(storageName, "storageName");
    Objects.requireNonNull(offer, "offer");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
    }
    if (invalidationQueueSize < 0) {
      throw new IllegalArgumentException(
          "invalidation queue size: " + invalidationQueueSize + " (expected: >= 0)");
    }
    Objects.requireNonNull(commitGather, "commitGather");
    if (commitGather.isNegative()) {
      throw new IllegalArgumentException(
          "commit gather: " + commitGather + " (expected: zero or more)");
    }
  }

  /** The defaults on loopback, any free port, in memory: for tests. */
  public static ServerConfig inMemory() {
    return new ServerConfig(
        "127.0.0.1", 0, null, "1", Encoding.PICKLE, false, 100, null, true, 256 << 20);
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** This configuration with another offer. */
  public ServerConfig withOffer(Encoding e) {
    return toBuilder().offer(e).build();
  }

  /** This configuration with another transaction timeout. */
  public ServerConfig withTransactionTimeout(Duration timeout) {
    return toBuilder().transactionTimeout(timeout).build();
  }

  /** This configuration with another frame limit. */
  public ServerConfig withMaxFrame(int bytes) {
    return toBuilder().maxFrame(bytes).build();
  }

  /** This configuration with another invalidation age (null for never). */
  public ServerConfig withInvalidationAge(Duration age) {
    return toBuilder().invalidationAge(age).build();
  }

  /** This configuration with another data folder (null for in memory). */
  public ServerConfig withData(Path folder) {
    return toBuilder().data(folder).build();
  }

  /** Builds a {@link ServerConfig} setting by setting; {@link #build()} checks them. */
  public static final class Builder {
    private String host;
    private int port;
    private Path data;
    private String storageName;
    private Encoding offer;
    private boolean readOnly;
    private int invalidationQueueSize;
    private Duration transactionTimeout;
    private boolean packGc;
    private int maxFrame;
    private Duration invalidationAge;
    private boolean clientConflictResolution;
    private Duration commitGather;

    private Builder(ServerConfig c) {
      host = c.host;
      port = c.port;
      data = c.data;
      storageName = c.storageName;
      offer = c.offer;
      readOnly = c.readOnly;
      invalidationQueueSize = c.invalidationQueueSize;
      transactionTimeout = c.transactionTimeout;
      packGc = c.packGc;
      maxFrame = c.maxFrame;
      invalidationAge = c.invalidationAge;
      clientConflictResolution = c.clientConflictResolution;
      commitGather = c.commitGather;
    }

    /** See {@link ServerConfig#host()} and {@link ServerConfig#port()}. */
    public Builder listen(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    /** See {@link ServerConfig#data()}. */
    public Builder data(Path folder) {
      this.data = folder;
      return this;
    }

    /** See {@link ServerConfig#storageName()}. */
    public Builder storageName(String name) {
      this.storageName = name;
      return this;
    }

    /** See {@link ServerConfig#offer()}. */
    public Builder offer(Encoding e) {
      this.offer = e;
      return this;
    }

    /** See {@link ServerConfig#readOnly()}. */
    public Builder readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /** See {@link ServerConfig#invalidationQueueSize()}. */
    public Builder invalidationQueueSize(int size) {
      this.invalidationQueueSize = size;
      return this;
    }

    /** See {@link ServerConfig#transactionTimeout()}. */
    public Builder transactionTimeout(Duration timeout) {
      this.transactionTimeout = timeout;
      return this;
    }

    /** See {@link ServerConfig#packGc()}. */
    public Builder packGc(boolean gc) {
      this.packGc = gc;
      return this;
    }

    /** See {@link ServerConfig#maxFrame()}. */
    public Builder maxFrame(int bytes) {
      this.maxFrame = bytes;
      return this;
    }

    /** See {@link ServerConfig#invalidationAge()}. */
    public Builder invalidationAge(Duration age) {
      this.invalidationAge = age;
      return this;
    }

    /** See {@link ServerConfig#clientConflictResolution()}. */
    public Builder clientConflictResolution(boolean on) {
      this.clientConflictResolution = on;
      return this;
    }

    /** See {@link ServerConfig#commitGather()}. */
    public Builder commitGather(Duration gather) {
      this.commitGather = gather;
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException naming a value out of range
     */
    public ServerConfig build() {
      return new ServerConfig(
          host,
          port,
          data,
          storageName,
          offer,
          readOnly,
          invalidationQueueSize,
          transactionTimeout,
          packGc,
          maxFrame,
          invalidationAge,
          clientConflictResolution,
          commitGather);
    }
  }
}
