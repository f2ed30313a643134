package org.zbig.client.zeo;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Network threads shared by many {@link ZeoClient}s of one process. By default each client has a
 * thread of its own; a process with many connections (a load generator, a service holding one
 * connection per database) can give them a few threads to share instead: one {@code epoll} wait
 * then serves every connection that has something to read, and the threads do not outnumber the
 * cores. Each client is assigned one of the threads for its whole life, so its replies and
 * invalidations keep their order.
 *
 * <p>The catch: everything a client runs on its thread (its {@link ZeoClient.Listener}, the code
 * that completes a call's future, and what a caller chained to that future without an executor) now
 * delays the other clients on that thread, and must never wait for another client's reply, which
 * could be queued behind it on the same thread.
 *
 * <p>Closing the loops closes the connections of the clients still using them; close the clients
 * first.
 */
public final class ClientEventLoops implements AutoCloseable {
  private final EventLoopGroup group;
  private final int threads;

  private ClientEventLoops(int threads) {
    this.threads = threads;
    this.group =
        new MultiThreadIoEventLoopGroup(
            threads, new DefaultThreadFactory("zbig-zeo-shared", true), NioIoHandler.newFactory());
  }

  /**
   * Starts {@code threads} network threads.
   *
   * @throws IllegalArgumentException if {@code threads} is not between 1 and 1,024
   */
  public static ClientEventLoops create(int threads) {
    if (threads < 1 || threads > 1024) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: 1 to 1024)");
    }
    return new ClientEventLoops(threads);
  }

  /** How many threads there are. */
  public int threads() {
    return threads;
  }

  /** The thread for the next client, in turn. */
  EventLoop next() {
    if (group.isShuttingDown()) {
      throw new IllegalStateException("client event loops closed");
    }
    return group.next();
  }

  /** Stops the threads, after the tasks already queued. */
  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
