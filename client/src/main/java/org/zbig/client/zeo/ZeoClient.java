package org.zbig.client.zeo;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.wire.Encoding;
import org.zbig.wire.ErrorReply;
import org.zbig.wire.GetInfo;
import org.zbig.wire.GetInvalidations;
import org.zbig.wire.Heartbeat;
import org.zbig.wire.Info;
import org.zbig.wire.InvalidateTransaction;
import org.zbig.wire.LastTransaction;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.wire.MalformedReplyException;
import org.zbig.wire.MsgId;
import org.zbig.wire.OneWayRequest;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.ServerCall;
import org.zbig.wire.SetClientLabel;
import org.zbig.wire.SyncRequest;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.netty.ClientTls;
import org.zbig.wire.netty.FrameDecoder;
import org.zbig.wire.netty.HandshakeEvent;
import org.zbig.wire.netty.Steered;
import org.zbig.wire.netty.WirePipeline;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.storage.LoadResult;

/**
 * One ZEO connection to a storage server, kept up for its whole life (docs/protocol.md §4.2, 4.5).
 *
 * <p>It accepts the server's {@code Z5} or {@code M5} offer, registers, verifies what the client
 * knows against the server ({@code lastTransaction}, then {@code getInvalidations} from the last
 * tid it saw), reads {@code get_info}, and from then on multiplexes any number of requests in
 * flight from any number of threads. Invalidations that arrive while the connection is being
 * verified are held back and delivered afterwards, only those after the verified tid. When the
 * connection drops, every waiting call fails with {@link ClientDisconnectedException} and the
 * client reconnects with exponential backoff; a write-refusing server is registered with read-only
 * when read-only fallback is on.
 *
 * <p>A client may be given several addresses of servers of one database (servers sharing a
 * PostgreSQL database, say): it is connected to one at a time, and tries the next one when a
 * connection cannot be made, is refused (a server behind the client, a refused storage) or drops;
 * it waits, with the backoff, only after every address failed in a row. Each new connection is
 * verified as usual, so a client that fails over keeps its cache.
 *
 * <p>The {@link Listener} is called on the connection's event loop (a thread of the client's own,
 * or one of {@link ClientEventLoops} shared with other clients), in the order the server sent
 * things; it must not block.
 */
public final class ZeoClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ZeoClient.class);

  /** What the layer above learns from the server. */
  public interface Listener {
    /** Objects changed by transaction {@code tid}, in tid order. */
    void invalidate(Tid tid, List<Oid> oids);

    /**
     * Everything cached may be stale: the server could not list what changed since the client's
     * last tid ({@code getInvalidations} returned nothing). {@code tid} is the server's last tid.
     */
    void invalidateAll(Tid tid);

    /** New {@code length} and {@code size} values from the server. */
    default void info(Map<String, Object> info) {}

    /** A (re)connection was verified; the server's last tid is {@code tid}. */
    default void connected(Tid tid) {}

    /** The connection dropped; the client is reconnecting. */
    default void disconnected(Throwable cause) {}

    /** A server call not handled above ({@code receiveBlob*}). */
    default void serverCall(ServerCall call) {}
  }

  /**
   * A call waiting for its reply; {@code deadline} is the {@link System#nanoTime} after which the
   * timeout sweep fails it ({@link Long#MAX_VALUE} for never).
   */
  private record Pending<R>(
      SyncRequest<R> request,
      CompletableFuture<R> future,
      Consumer<? super R> inLoop,
      long deadline,
      Sink sink) {
    void complete(Object value) {
      R result;
      try {
        result = request.decodeResult(value);
        if (inLoop != null) {
          inLoop.accept(result);
        }
      } catch (RuntimeException e) {
        future.completeExceptionally(e);
        return;
      }
      future.complete(result);
    }
  }

  /**
   * Memory that a big record's data may be received into straight from the network ({@link
   * #loadBeforeInto}): the bytes are then copied once, from the receive buffers into it, as they
   * arrive, instead of into the reply's array and from there to where they are used. For records
   * that start with a known class pickle and hold one byte string, such as a ZBlk0 block, whose
   * data goes into its page. Whether it was used is known once the call completes ({@link
   * #filled}).
   */
  public static final class Sink {
    private final MemorySegment into;
    private final byte[] recordPrefix;
    private volatile FrameDecoder.Target target; // set on the event loop when steered here
    private volatile long filled = -1;

    /**
     * A sink.
     *
     * @param into where the data may go (written by the network thread: not memory confined to
     *     another one); the record's data must fit
     * @param recordPrefix what the record must start with, up to its state's {@code BINBYTES}
     *     opcode (its 4-byte length and the data follow)
     */
    public Sink(MemorySegment into, byte[] recordPrefix) {
      this.into = Objects.requireNonNull(into, "into");
      this.recordPrefix = recordPrefix.clone();
    }

    /**
     * How many data bytes the reply put at the start of the memory, or -1 if it came whole: the
     * result's record then holds its data as usual; else the result's record has an empty state.
     */
    public long filled() {
      return filled;
    }

    /** No further byte goes into the memory (the call failed: the memory may be used elsewhere). */
    private void revoke() {
      FrameDecoder.Target t = target;
      if (t != null) {
        t.revoke();
      }
    }
  }

  private final List<InetSocketAddress> addresses;
  private volatile InetSocketAddress address; // the one connected or being connected to
  private int next; // index of the address to try next
  private int failedInRow; // addresses that failed in a row since the last verified connection
  private final ClientOptions options;
  private final Listener listener;
  private final EventLoopGroup ownGroup; // null when the loop is shared (ClientEventLoops)
  private final EventLoop loop; // this client's one thread: connects, timers, its channel
  private final ScheduledFuture<?> sweep; // or null
  private final Bootstrap bootstrap;
  private final AtomicLong nextMsgid = new AtomicLong(1);
  private final Map<MsgId, Pending<?>> pending = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> firstConnection = new CompletableFuture<>();
  private volatile Channel channel; // verified and usable, or null
  private volatile boolean closed;
  private volatile Tid lastTid; // the newest tid whose invalidations were delivered, null at first
  private volatile Map<String, Object> info = Map.of();
  private volatile boolean readOnly;
  private volatile Encoding encoding;
  private volatile CompletableFuture<Void> connectedFuture = new CompletableFuture<>();
  private int attempts;

  private ZeoClient(
      List<InetSocketAddress> addresses,
      ClientOptions options,
      Listener listener,
      ClientEventLoops shared) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("addresses: [] (expected: at least one server address)");
    }
    this.addresses = List.copyOf(addresses);
    this.address = this.addresses.getFirst();
    this.options = options;
    this.listener = listener;
    if (shared == null) {
      this.ownGroup =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("zbig-zeo-client", true), NioIoHandler.newFactory());
      this.loop = ownGroup.next();
    } else {
      this.ownGroup = null;
      this.loop = shared.next();
    }
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (options.tls() != null) {
                      InetSocketAddress address = ZeoClient.this.address;
                      SSLEngine engine =
                          options.tls().createSSLEngine(address.getHostString(), address.getPort());
                      engine.setUseClientMode(true);
                      ClientTls.checkHostName(engine);
                      ch.pipeline().addLast("tls", new SslHandler(engine));
                    }
                    WirePipeline.client(ch.pipeline(), options.maxFrame());
                    // requests from many threads: one write system call for those queued together
                    ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                    ch.pipeline()
                        .addLast(
                            "heartbeat",
                            new IdleStateHandler(
                                0, options.heartbeat().toMillis(), 0, TimeUnit.MILLISECONDS));
                    ch.pipeline().addLast("zeo", new Handler());
                  }
                });
    if (options.requestTimeout() != null) {
      long period = Math.clamp(options.requestTimeout().toNanos() / 8, 1_000_000L, 1_000_000_000L);
      this.sweep =
          loop.scheduleAtFixedRate(this::sweepTimeouts, period, period, TimeUnit.NANOSECONDS);
    } else {
      this.sweep = null;
    }
  }

  /**
   * Connects to {@code address} and waits until the connection is registered and verified.
   *
   * @throws ClientDisconnectedException if that does not happen within the wait timeout; the client
   *     is closed then
   */
  public static ZeoClient open(
      InetSocketAddress address, ClientOptions options, Listener listener) {
    return open(List.of(address), options, listener);
  }

  /**
   * Connects to one of {@code addresses}, servers of one database, trying them in turn, and waits
   * until the connection is registered and verified. Later reconnections try them in turn too.
   *
   * @throws IllegalArgumentException if {@code addresses} is empty
   * @throws ClientDisconnectedException if no connection is verified within the wait timeout; the
   *     client is closed then
   */
  public static ZeoClient open(
      List<InetSocketAddress> addresses, ClientOptions options, Listener listener) {
    return open(addresses, options, listener, null);
  }

  /**
   * As {@link #open(List, ClientOptions, Listener)}, on one of {@code loops}' threads instead of a
   * thread of its own (see {@link ClientEventLoops} for what that asks of the listener and of the
   * code chained to calls); null for a thread of its own.
   *
   * @throws IllegalStateException if {@code loops} is closed
   */
  public static ZeoClient open(
      List<InetSocketAddress> addresses,
      ClientOptions options,
      Listener listener,
      ClientEventLoops loops) {
    ZeoClient c = new ZeoClient(addresses, options, listener, loops);
    String where = addresses.size() == 1 ? "" + addresses.getFirst() : "any of " + addresses;
    c.loop.execute(c::connect);
    try {
      c.firstConnection.get(options.waitTimeout().toMillis(), TimeUnit.MILLISECONDS);
      return c;
    } catch (TimeoutException e) {
      c.close();
      throw new ClientDisconnectedException(
          "timed out waiting for connection to " + where + " after " + options.waitTimeout());
    } catch (ExecutionException e) {
      c.close();
      throw e.getCause() instanceof StorageException s
          ? s
          : new ClientDisconnectedException("cannot connect to " + where, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.close();
      throw new ClientDisconnectedException("interrupted connecting to " + where, e);
    }
  }

  /** Connects to the next address; runs on the event loop. */
  private void connect() {
    if (closed) {
      return;
    }
    InetSocketAddress to = addresses.get(next);
    address = to;
    bootstrap
        .connect(to)
        .addListener(f -> {
          if (!f.isSuccess()) {
            LOG.debug("cannot connect to {}: {}", to, f.cause().toString());
            tryNext();
          }
        });
  }

  /**
   * The current address failed or its connection dropped: tries the next one at once, or after the
   * backoff once every address failed in a row. Runs on the event loop.
   */
  private void tryNext() {
    if (closed) {
      return;
    }
    next = (next + 1) % addresses.size();
    failedInRow++;
    if (failedInRow < addresses.size()) {
      loop.execute(this::connect);
      return;
    }
    failedInRow = 0;
    long min = Math.max(1, options.reconnectMin().toMillis());
    long delay = Math.min(options.reconnectMax().toMillis(), min << Math.min(attempts, 20));
    delay += ThreadLocalRandom.current().nextLong(delay / 4 + 1);
    attempts++;
    loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /** The address of the server connected to, or being connected to. */
  public InetSocketAddress address() {
    return address;
  }

  /** Every address this client may connect to, in the order they are tried. */
  public List<InetSocketAddress> addresses() {
    return addresses;
  }

  /** Whether the connection is up and verified. */
  public boolean isConnected() {
    return channel != null;
  }

  /**
   * Waits until the connection is up and verified.
   *
   * @return false if it is not within {@code millis}
   */
  public boolean awaitConnected(long millis) throws InterruptedException {
    try {
      connectedFuture.get(millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return false;
    }
  }

  /** Whether the storage was registered read-only. */
  public boolean isReadOnly() {
    return readOnly;
  }

  /** The negotiated encoding of the current connection. */
  public Encoding encoding() {
    return encoding;
  }

  /** The server's {@code get_info} dict, updated by {@code info} calls. */
  public Map<String, Object> info() {
    return info;
  }

  /**
   * Whether loads of many records go in one {@link LoadBeforeMany} call: the options allow it and
   * the server of the current connection offers it.
   */
  public boolean loadsMany() {
    return options.loadMany() && Boolean.TRUE.equals(info.get(LoadBeforeMany.INFO_KEY));
  }

  /**
   * Whether an object and what it refers to can be loaded in one {@link LoadBeforeTree} call: the
   * options allow loads of many records in one call and the server of the current connection offers
   * it.
   */
  public boolean loadsTree() {
    return options.loadMany() && Boolean.TRUE.equals(info.get(LoadBeforeTree.INFO_KEY));
  }

  /** The newest tid the client was told about (by {@code register} or an invalidation). */
  public Tid lastTransaction() {
    Tid t = lastTid;
    return t == null ? Tid.Z64 : t;
  }

  /**
   * Sends a synchronous request built around a fresh msgid.
   *
   * @return the result, or the server's error as a {@link StorageException}; a {@link
   *     ClientDisconnectedException} if the connection is down or drops first
   */
  public <R> CompletableFuture<R> call(Function<MsgId, ? extends SyncRequest<R>> request) {
    return call(request, null);
  }

  /**
   * As {@link #call(Function)}, running {@code inLoop} with the result on the connection's event
   * loop before the future completes: in order with the listener's invalidations, which is how a
   * cache stays consistent with them.
   */
  public <R> CompletableFuture<R> call(
      Function<MsgId, ? extends SyncRequest<R>> request, Consumer<? super R> inLoop) {
    return call(request, inLoop, null);
  }

  private <R> CompletableFuture<R> call(
      Function<MsgId, ? extends SyncRequest<R>> request, Consumer<? super R> inLoop, Sink sink) {
    Channel ch = channel;
    if (ch == null) {
      return CompletableFuture.failedFuture(disconnected());
    }
    return send(ch, request.apply(MsgId.of(nextMsgid.getAndIncrement())), inLoop, sink);
  }

  /** As {@link #call}, waiting for the result; the server's error is thrown. */
  public <R> R invoke(Function<MsgId, ? extends SyncRequest<R>> request) {
    return join(call(request));
  }

  /** Waits for a call's result and throws its failure as it is. */
  public static <R> R join(CompletableFuture<R> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private <R> CompletableFuture<R> send(Channel ch, SyncRequest<R> r) {
    return send(ch, r, null, null);
  }

  private <R> CompletableFuture<R> send(
      Channel ch, SyncRequest<R> r, Consumer<? super R> inLoop, Sink sink) {
    CompletableFuture<R> f = expect(r, inLoop, sink);
    ch.writeAndFlush(r).addListener(w -> sent(w, r));
    return f;
  }

  /**
   * As {@link #call(Function, Consumer)} for a {@code loadBefore} whose record's data may be
   * received straight into {@code sink} (see {@link Sink}); {@code inLoop} runs before the future
   * completes, when {@link Sink#filled} is already known.
   */
  public CompletableFuture<Optional<LoadResult>> loadBeforeInto(
      Oid oid, Tid before, Sink sink, Consumer<? super Optional<LoadResult>> inLoop) {
    return call(id -> new LoadBefore(id, oid, before), inLoop, sink);
  }

  /**
   * The steering of this client's frames (on its event loop): a big reply to a call with a {@link
   * Sink} whose record has the sink's form puts its data into the sink's memory.
   */
  private FrameDecoder.Target steer(ByteBuf head, int length) {
    Encoding enc = encoding;
    if (enc == null) {
      return null;
    }
    ReplyLayout.Layout l =
        ReplyLayout.parse(
            head,
            length,
            enc,
            id -> {
              Sink s = sinkOf(id);
              return s == null ? null : s.recordPrefix;
            });
    Sink sink = l == null ? null : sinkOf(l.msgid());
    if (sink == null || l.dataLength() > sink.into.byteSize()) {
      return null;
    }
    FrameDecoder.Target t =
        new FrameDecoder.Target(l.dataOffset(), sink.into.asSlice(0, l.dataLength()), l.patches());
    sink.target = t;
    return t;
  }

  /** The sink of the pending call {@code id}, or null. */
  private Sink sinkOf(MsgId id) {
    Pending<?> p = pending.get(id);
    return p == null ? null : p.sink();
  }

  /** Notes a call as pending: its reply completes the future returned. */
  private <R> CompletableFuture<R> expect(SyncRequest<R> r, Consumer<? super R> inLoop) {
    return expect(r, inLoop, null);
  }

  private <R> CompletableFuture<R> expect(SyncRequest<R> r, Consumer<? super R> inLoop, Sink sink) {
    CompletableFuture<R> f = new CompletableFuture<>();
    // no timer per call (CompletableFuture.orTimeout wakes its scheduler thread on every
    // completion, 40% of this client's network thread under pipelined loads): one sweep fails
    // the calls past their deadline
    Duration timeout = options.requestTimeout();
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    pending.put(r.msgid(), new Pending<>(r, f, inLoop, deadline, sink));
    return f;
  }

  /** Fails a call whose request could not be written. */
  private void sent(Future<?> w, SyncRequest<?> r) {
    if (!w.isSuccess()) {
      failCall(r.msgid(), new ClientDisconnectedException("cannot send " + r.method(), w.cause()));
    }
  }

  /**
   * A batch of calls whose requests are written together when it is closed: one task on the
   * connection's event loop and one flush for all of them, instead of a task, a wake-up and a flush
   * each. For many calls at once (the chunks of a block, the nodes of a tree level).
   */
  public Batch batch() {
    return new Batch(channel);
  }

  /** See {@link #batch()}; not thread-safe: one thread fills it and closes it. */
  public final class Batch implements AutoCloseable {
    private final Channel ch; // null when the connection is down: every call fails at once
    private final List<SyncRequest<?>> requests = new ArrayList<>();

    private Batch(Channel ch) {
      this.ch = ch;
    }

    /** As {@link ZeoClient#call(Function, Consumer)}; the request is written at {@link #close}. */
    public <R> CompletableFuture<R> call(
        Function<MsgId, ? extends SyncRequest<R>> request, Consumer<? super R> inLoop) {
      if (ch == null) {
        return CompletableFuture.failedFuture(disconnected());
      }
      SyncRequest<R> r = request.apply(MsgId.of(nextMsgid.getAndIncrement()));
      CompletableFuture<R> f = expect(r, inLoop);
      requests.add(r);
      return f;
    }

    /** Writes the requests of the calls, in order, and flushes once. */
    @Override
    public void close() {
      if (requests.isEmpty()) {
        return;
      }
      List<SyncRequest<?>> all = List.copyOf(requests);
      requests.clear();
      Runnable write =
          () -> {
            for (SyncRequest<?> r : all) {
              ch.write(r).addListener(w -> sent(w, r));
            }
            ch.flush();
          };
      if (ch.eventLoop().inEventLoop()) {
        write.run();
        return;
      }
      try {
        ch.eventLoop().execute(write);
      } catch (RejectedExecutionException closing) {
        for (SyncRequest<?> r : all) {
          failCall(r.msgid(), disconnected());
        }
      }
    }
  }

  /**
   * Sends a one-way request.
   *
   * @throws ClientDisconnectedException if the connection is down
   */
  public void send(OneWayRequest r) {
    Channel ch = channel;
    if (ch == null) {
      throw disconnected();
    }
    ch.writeAndFlush(r);
  }

  private ClientDisconnectedException disconnected() {
    return new ClientDisconnectedException(
        closed ? "client closed" : "not connected to " + address);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Channel ch = channel;
    channel = null;
    if (ch != null) {
      ch.close().syncUninterruptibly();
    }
    failPending(new ClientDisconnectedException("client closed"));
    firstConnection.completeExceptionally(new ClientDisconnectedException("client closed"));
    if (ownGroup != null) {
      ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    } else if (sweep != null) {
      sweep.cancel(false);
    }
  }

  /**
   * Fails the calls whose deadline has passed with a {@link TimeoutException}, as {@link
   * CompletableFuture#orTimeout} would; runs every eighth of the request timeout.
   */
  private void sweepTimeouts() {
    long now = System.nanoTime();
    List<MsgId> late = new ArrayList<>();
    pending.forEach((id, p) -> {
      if (p.deadline() != Long.MAX_VALUE && now - p.deadline() >= 0) {
        late.add(id);
      }
    });
    for (MsgId id : late) {
      failCall(id, new TimeoutException());
    }
  }

  /** Fails the call {@code id} with {@code why}, if it is still pending. */
  private void failCall(MsgId id, Throwable why) {
    Pending<?> p = pending.remove(id);
    if (p != null) {
      if (p.sink() != null) {
        p.sink().revoke(); // before its caller may give the memory to something else
      }
      p.future().completeExceptionally(why);
    }
  }

  private void failPending(Throwable why) {
    for (MsgId id : List.copyOf(pending.keySet())) {
      failCall(id, why);
    }
  }

  /** The pipeline end of one connection: registration, verification, replies, server calls. */
  private final class Handler extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private boolean verified;
    private final List<InvalidateTransaction> early = new ArrayList<>();

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
      FrameDecoder frames = ctx.pipeline().get(FrameDecoder.class);
      if (frames != null) {
        frames.steer(ZeoClient.this::steer);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      switch (evt) {
        case HandshakeEvent.Completed c -> {
          encoding = c.encoding();
          register(options.readOnly());
        }
        case IdleStateEvent idle -> ctx.writeAndFlush(new Heartbeat());
        default -> ctx.fireUserEventTriggered(evt);
      }
    }

    private void register(boolean ro) {
      send(
              ctx.channel(),
              new Register(MsgId.of(nextMsgid.getAndIncrement()), options.storage(), ro))
          .whenComplete((tid, error) -> {
            if (error != null) {
              if (error instanceof ReadOnlyException && !ro && options.readOnlyFallback()) {
                register(true);
                return;
              }
              fail(error);
              return;
            }
            readOnly = ro;
            if (tid.isPresent()) {
              verify(tid.get());
            } else {
              send(ctx.channel(), new LastTransaction(MsgId.of(nextMsgid.getAndIncrement())))
                  .whenComplete((t, e) -> {
                    if (e != null) {
                      fail(e);
                    } else {
                      verify(t);
                    }
                  });
            }
          });
    }

    /**
     * Brings what the client knows up to the server's {@code serverTid} (docs/protocol.md §4.2 step
     * 5).
     */
    private void verify(Tid serverTid) {
      Tid known = lastTid;
      if (known == null || known.equals(serverTid)) {
        verified(serverTid);
      } else if (known.compareTo(serverTid) > 0) {
        fail(
            new StorageException(
                "server behind client: the server's last tid "
                    + serverTid.toHex()
                    + " is before "
                    + known.toHex()
                    + ", which this client already saw"));
      } else {
        send(ctx.channel(), new GetInvalidations(MsgId.of(nextMsgid.getAndIncrement()), known))
            .whenComplete((inv, e) -> {
              if (e != null) {
                fail(e);
              } else if (inv.isPresent()) {
                listener.invalidate(inv.get().tid(), inv.get().oids());
                verified(inv.get().tid());
              } else {
                listener.invalidateAll(serverTid);
                verified(serverTid);
              }
            });
      }
    }

    private void verified(Tid tid) {
      lastTid = tid;
      for (InvalidateTransaction inv : early) {
        if (inv.tid().compareTo(tid) > 0) {
          deliver(inv);
        }
      }
      early.clear();
      verified = true;
      send(ctx.channel(), new GetInfo(MsgId.of(nextMsgid.getAndIncrement())))
          .whenComplete((i, e) -> {
            if (e != null) {
              fail(e);
              return;
            }
            info = Map.copyOf(i);
            if (options.label() != null) {
              ctx.writeAndFlush(new SetClientLabel(options.label()));
            }
            attempts = 0;
            failedInRow = 0;
            channel = ctx.channel();
            listener.connected(lastTransaction());
            connectedFuture.complete(null);
            firstConnection.complete(null);
            LOG.debug("connected to {} ({}), last tid {}", address, encoding, lastTid);
          });
    }

    private void deliver(InvalidateTransaction inv) {
      lastTid = inv.tid();
      listener.invalidate(inv.tid(), inv.oids());
    }

    private void fail(Throwable e) {
      Throwable cause =
          e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
      LOG.warn("connection to {} failed: {}", address, cause.toString());
      if (!firstConnection.isDone() && isPermanent(cause)) {
        firstConnection.completeExceptionally(cause);
      }
      ctx.close();
    }

    /** Errors that a retry cannot fix: refused storage names and read-only refusals. */
    private boolean isPermanent(Throwable e) {
      return e instanceof StorageException s
          && !(s instanceof ClientDisconnectedException)
          && !(s instanceof ProtocolException);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      switch (msg) {
        case Reply r -> {
          Pending<?> p = pending.remove(r.msgid());
          if (p != null) {
            if (p.request() instanceof TpcFinish && r.value() != null) {
              // our own commit: the server sends us no invalidation for it
              Tid committed = new TpcFinish(r.msgid(), 0).decodeResult(r.value());
              if (lastTid == null || committed.compareTo(lastTid) > 0) {
                lastTid = committed;
              }
            }
            p.complete(r.value());
          }
        }
        case Steered st -> {
          // a reply whose record's data went into a sink: its record has an empty state
          Pending<?> p = st.message() instanceof Reply r ? pending.remove(r.msgid()) : null;
          if (p != null && p.sink() != null && p.sink().target == st.target()) {
            p.sink().filled = st.target().into().byteSize();
            p.complete(((Reply) st.message()).value());
          } else if (p != null) {
            p.future()
                .completeExceptionally(
                    new StorageException(
                        "reply to " + p.request().method() + " in the wrong place"));
          }
        }
        case ErrorReply r -> {
          failCall(r.msgid(), r.toException());
        }
        case InvalidateTransaction inv -> {
          if (verified) {
            deliver(inv);
          } else {
            early.add(inv);
          }
        }
        case Info i -> {
          Map<String, Object> merged = new LinkedHashMap<>(info);
          merged.putAll(i.info());
          info = Map.copyOf(merged);
          listener.info(i.info());
        }
        case ServerCall c -> listener.serverCall(c);
        default -> LOG.warn("unexpected {} from {}", msg.getClass().getSimpleName(), address);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof MalformedReplyException m) {
        // the reply names its call: that call fails, the connection stays
        LOG.warn("from {}: {}", address, m.getMessage());
        failCall(m.msgid(), m);
        return;
      }
      LOG.warn("closing connection to {}: {}", address, cause.toString());
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      boolean wasUp = channel == ctx.channel();
      if (wasUp) {
        channel = null;
        connectedFuture = new CompletableFuture<>();
      }
      ClientDisconnectedException why =
          new ClientDisconnectedException("connection to " + address + " lost");
      failPending(why);
      if (wasUp) {
        listener.disconnected(why);
      }
      tryNext();
    }
  }

  /** A convenience for tests and tools: the current revision of {@code oid}, if any. */
  public Optional<LoadResult> loadCurrent(Oid oid) {
    return invoke(id -> new LoadBefore(id, oid, Tid.MAX));
  }
}
