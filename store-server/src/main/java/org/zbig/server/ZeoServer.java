package org.zbig.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.server.commit.ServedStorage;
import org.zbig.server.net.ConnectionHandler;
import org.zbig.server.storage.DirectBuffers;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.wire.netty.WirePipeline;

/**
 * A running ZEO server: its main storage and any more named ones, served on one TCP address with
 * Netty; a client picks a storage by the name it registers with. {@link #close()} stops accepting,
 * closes the connections (their transactions abort) and closes the storages.
 */
public final class ZeoServer implements AutoCloseable {
  private final ServerConfig config;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel listener;
  private static final Logger LOG = LoggerFactory.getLogger(ZeoServer.class);
  private final AtomicBoolean open = new AtomicBoolean(true);
  private final Map<String, ServedStorage> storages;

  /** Every client connection, closed explicitly at {@link #close()} (Netty's pattern). */
  private final ChannelGroup clients =
      new DefaultChannelGroup("zbig-clients", GlobalEventExecutor.INSTANCE);

  private final AtomicInteger connections = new AtomicInteger();

  /**
   * Direct memory for big replies, shared by the connections; up to 128 MiB kept for reuse, and at
   * most half the heap's size (the JVM's default limit of direct memory is the heap's) in use by
   * replies that clients have not read: past it, clients with such replies pending are not served
   * until they read (others are).
   */
  private final DirectBuffers buffers =
      new DirectBuffers(128L << 20, Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 2));

  /** The direct memory of big replies (for tests and status). */
  DirectBuffers replyBuffers() {
    return buffers;
  }

  private ZeoServer(
      ServerConfig config, Map<String, ServedStorage> storages, Limits limits, Tls tls)
      throws InterruptedException {
    SslContext ssl = tls == null ? null : tls.context();
    this.config = config;
    this.storages = storages;
    boss =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("zbig-accept"), NioIoHandler.newFactory());
    workers =
        new MultiThreadIoEventLoopGroup(
            0, new DefaultThreadFactory("zbig-io"), NioIoHandler.newFactory());
    boolean ok = false;
    try {
      listener =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(NioServerSocketChannel.class)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(
                  ChannelOption.WRITE_BUFFER_WATER_MARK,
                  new WriteBufferWaterMark(
                      limits.writeBufferBytes() / 2, limits.writeBufferBytes()))
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      if (ssl != null) {
                        ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()));
                      }
                      WirePipeline.server(ch.pipeline(), config.offer(), config.maxFrame());
                      if (connections.incrementAndGet() > limits.maxConnections()) {
                        LOG.warn(
                            "refusing {}: {} connections (limit {})",
                            ch.remoteAddress(),
                            connections.get() - 1,
                            limits.maxConnections());
                        ch.closeFuture().addListener(f -> connections.decrementAndGet());
                        ch.close();
                        return;
                      }
                      ch.closeFuture().addListener(f -> connections.decrementAndGet());
                      clients.add(ch);
                      ch.pipeline()
                          .addLast("zeo", new ConnectionHandler(storages, config, limits, buffers));
                    }
                  })
              .bind(config.host(), config.port())
              .sync()
              .channel();
      ok = true;
    } finally {
      if (!ok) {
        boss.shutdownGracefully();
        workers.shutdownGracefully();
      }
    }
  }

  /**
   * Opens the storage of {@code config} (RocksDB in its data folder, or memory) and starts serving
   * it.
   */
  public static ZeoServer start(ServerConfig config) throws InterruptedException {
    return start(config, Limits.defaults());
  }

  /** As {@link #start(ServerConfig)}, with {@code limits} for each client. */
  public static ZeoServer start(ServerConfig config, Limits limits) throws InterruptedException {
    return start(config, limits, null);
  }

  /** As {@link #start(ServerConfig, Limits)}, speaking TLS when {@code tls} is not null. */
  public static ZeoServer start(ServerConfig config, Limits limits, Tls tls)
      throws InterruptedException {
    return start(config, limits, tls, List.of());
  }

  /**
   * As {@link #start(ServerConfig, Limits, Tls)}, serving also the named storages {@code more}.
   *
   * @throws IllegalArgumentException when two storages share a name or a data folder
   */
  public static ZeoServer start(ServerConfig config, Limits limits, Tls tls, List<StorageSpec> more)
      throws InterruptedException {
    return start(config, limits, tls, more, null);
  }

  /**
   * As {@link #start(ServerConfig, Limits, Tls, List)}, serving {@code main} (when not null) as the
   * main storage instead of the data folder's RocksDB; the server closes it.
   */
  public static ZeoServer start(
      ServerConfig config, Limits limits, Tls tls, List<StorageSpec> more, Storage main)
      throws InterruptedException {
    List<StorageSpec> all = new ArrayList<>();
    all.add(new StorageSpec(config.storageName(), config.data(), config.readOnly()));
    all.addAll(more);
    Set<String> names = new HashSet<>();
    Set<Path> folders = new HashSet<>();
    for (StorageSpec s : all) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException(
            "storage name: '" + s.name() + "' (expected: each storage named once)");
      }
      if (s.data() != null && !folders.add(s.data().toAbsolutePath().normalize())) {
        throw new IllegalArgumentException(
            "data folder of storage '"
                + s.name()
                + "': "
                + s.data()
                + " (expected: a folder no other storage uses)");
      }
    }
    Map<String, ServedStorage> storages = new LinkedHashMap<>();
    try {
      for (StorageSpec s : all) {
        Storage storage =
            main != null && s == all.getFirst()
                ? main
                : (s.data() == null
                        ? KvStorage.inMemory()
                        : KvStorage.rocks(s.data(), s.compression()))
                    .dedup(s.dedup());
        try {
          ServedStorage served =
              new ServedStorage(s.name(), storage, s.readOnly(), config.invalidationQueueSize());
          served.invalidationAge = config.invalidationAge();
          served.commitGather = config.commitGather();
          served.clientConflictResolution = config.clientConflictResolution(); // before listening
          storages.put(s.name(), served);
        } catch (RuntimeException e) {
          storage.close();
          throw e;
        }
      }
      return new ZeoServer(config, Collections.unmodifiableMap(storages), limits, tls);
    } catch (RuntimeException | InterruptedException e) {
      closeAll(storages.values());
      if (main != null && !storages.containsKey(config.storageName())) {
        main.close();
      }
      throw e;
    }
  }

  private static void closeAll(Collection<ServedStorage> storages) {
    for (ServedStorage s : storages) {
      s.close();
      s.storage.close();
    }
  }

  /** The main storage (the one named in the config). */
  @SuppressWarnings("exports")
  public ServedStorage served() {
    return storages.get(config.storageName());
  }

  /**
   * Every storage by name, the main one first: for the status server; its type is internal to this
   * module (the package is not exported).
   */
  @SuppressWarnings("exports")
  public Map<String, ServedStorage> storages() {
    return storages;
  }

  /** The address the server listens on. */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /**
   * Each storage's counters by name, as the status page shows them (connections, loads, stores,
   * commits, synced commit groups, conflicts, locks, ...).
   */
  public Map<String, Map<String, Object>> status() {
    Map<String, Map<String, Object>> all = new LinkedHashMap<>();
    storages.forEach((name, s) -> all.put(name, s.status()));
    return all;
  }

  /**
   * ZEO's {@code client-conflict-resolution}: with {@code on}, every conflict goes back to the
   * client, even of the classes the server could merge itself (B-tree buckets, {@code
   * BTrees.Length}); off by default.
   */
  public void clientConflictResolution(boolean on) { // tests switch it between scenarios
    storages.values().forEach(s -> s.clientConflictResolution = on);
  }

  /** The settings. */
  public ServerConfig config() {
    return config;
  }

  /**
   * Stops gracefully: no new connections are accepted, commits in progress get up to {@code grace}
   * to finish (their clients' {@code tpc_finish} is still served), then every connection is closed
   * (a transaction still open is aborted, never half applied) and the storage is closed.
   */
  public void close(Duration grace) {
    if (!open.get()) {
      return;
    }
    listener.close().syncUninterruptibly();
    long deadline = System.nanoTime() + grace.toNanos();
    try {
      for (ServedStorage s : storages.values()) {
        s.awaitQuiet(deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (anyCommitting()) {
      LOG.warn("closing with a commit still in progress after {}: it is aborted", grace);
    }
    close();
  }

  @Override
  public void close() {
    if (open.compareAndSet(true, false)) {
      listener.close().syncUninterruptibly();
      // close the client connections first: the event loops' own shutdown left one open now and
      // then after a commit (its socket stayed established, the client never saw the close)
      // (not waited for long: a loop stuck in a request closes its channels when it stops)
      clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
      boolean stopped =
          workers
              .shutdownGracefully(0, 2, TimeUnit.SECONDS)
              .awaitUninterruptibly(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(1, TimeUnit.SECONDS);
      if (stopped) {
        closeAll(storages.values());
      } else {
        // a thread is still busy with a request: closing the storage under it could crash the
        // process; every acknowledged commit is already durable, so leave it to the process exit
        LOG.warn(
            "an I/O thread did not stop within {}; the storage is left open for the process exit",
            STOP_WAIT);
      }
    }
  }

  /** How long {@link #close()} waits for the I/O threads to finish what they are doing. */
  static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private boolean anyCommitting() {
    return storages.values().stream()
        .anyMatch(s -> s.committer.busy() || s.finishReplies.get() > 0);
  }
}
