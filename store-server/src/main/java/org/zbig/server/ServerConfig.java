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
    Duration invalidationAge) {
  /** The settings without an invalidation age. */
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
        null);
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
  }

  /** The defaults on loopback, any free port, in memory: for tests. */
  public static ServerConfig inMemory() {
    return new ServerConfig(
        "127.0.0.1", 0, null, "1", Encoding.PICKLE, false, 100, null, true, 256 << 20);
  }

  /** This configuration with another offer. */
  public ServerConfig withOffer(Encoding e) {
    return new ServerConfig(
        host,
        port,
        data,
        storageName,
        e,
        readOnly,
        invalidationQueueSize,
        transactionTimeout,
        packGc,
        maxFrame,
        invalidationAge);
  }

  /** This configuration with another transaction timeout. */
  public ServerConfig withTransactionTimeout(Duration timeout) {
    return new ServerConfig(
        host,
        port,
        data,
        storageName,
        offer,
        readOnly,
        invalidationQueueSize,
        timeout,
        packGc,
        maxFrame,
        invalidationAge);
  }

  /** This configuration with another frame size limit. */
  public ServerConfig withMaxFrame(int bytes) {
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
        bytes,
        invalidationAge);
  }

  /** This configuration with another invalidation age (null: never read the storage for it). */
  public ServerConfig withInvalidationAge(Duration age) {
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
        age);
  }

  /** This configuration with another data folder (null: in memory). */
  public ServerConfig withData(Path folder) {
    return new ServerConfig(
        host,
        port,
        folder,
        storageName,
        offer,
        readOnly,
        invalidationQueueSize,
        transactionTimeout,
        packGc,
        maxFrame,
        invalidationAge);
  }
}
