package org.zbig.server;

import java.time.Duration;

/**
 * What one client may use of a server. Exceeding a limit disconnects the client, logged with its
 * address; nothing of its open transaction is stored.
 *
 * @param maxConnections connections at once; more are closed as they arrive
 * @param maxTransactionBytes bytes of records and blobs one transaction may send
 * @param writeBufferBytes replies buffered for a client before the server stops reading its
 *     requests until it reads them (back-pressure)
 * @param maxRequestsInFlight requests of one connection whose reply is owed for later (a vote
 *     waiting for the commit lock, a blob being streamed, a blocking pack) plus its open iterators;
 *     a request beyond it gets an error reply naming the limit and the connection stays
 * @param registerTimeout how long a connection may stay without having registered (handshake and
 *     {@code register} done); then it is closed, so that connections that never speak cannot hold
 *     the server's connection slots; zero: no limit
 */
public record Limits(
    int maxConnections,
    long maxTransactionBytes,
    int writeBufferBytes,
    int maxRequestsInFlight,
    Duration registerTimeout) {
  /** Checks the limits. */
  public Limits {
    if (maxConnections < 1) {
      throw new IllegalArgumentException(
          "max connections: " + maxConnections + " (expected: >= 1)");
    }
    if (maxTransactionBytes < 1) {
      throw new IllegalArgumentException(
          "max transaction bytes: " + maxTransactionBytes + " (expected: >= 1)");
    }
    if (writeBufferBytes < 64 << 10) {
      throw new IllegalArgumentException(
          "write buffer: " + writeBufferBytes + " bytes (expected: >= 65536)");
    }
    if (maxRequestsInFlight < 1) {
      throw new IllegalArgumentException(
          "max requests in flight: " + maxRequestsInFlight + " (expected: >= 1)");
    }
    if (registerTimeout == null || registerTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "register timeout: " + registerTimeout + " (expected: >= 0)");
    }
  }

  /** The limits of the first four parameters, with 30 s to register. */
  public Limits(
      int maxConnections, long maxTransactionBytes, int writeBufferBytes, int maxRequestsInFlight) {
    this(
        maxConnections,
        maxTransactionBytes,
        writeBufferBytes,
        maxRequestsInFlight,
        DEFAULT_REGISTER_TIMEOUT);
  }

  /** The time a connection has to register, by default. */
  public static final Duration DEFAULT_REGISTER_TIMEOUT = Duration.ofSeconds(30);

  /** The limits of the first three parameters, with 100 requests in flight. */
  public Limits(int maxConnections, long maxTransactionBytes, int writeBufferBytes) {
    this(maxConnections, maxTransactionBytes, writeBufferBytes, 100);
  }

  /**
   * 1000 connections, 4 GiB per transaction, 16 MiB of replies buffered and 100 requests in flight
   * per connection.
   */
  public static Limits defaults() {
    return new Limits(1000, 4L << 30, 16 << 20, 100);
  }
}
