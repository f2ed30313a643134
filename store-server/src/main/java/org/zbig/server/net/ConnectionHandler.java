package org.zbig.server.net;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.commit.Committer;
import org.zbig.server.commit.ServedStorage;
import org.zbig.server.commit.Txn;
import org.zbig.server.storage.DirectBuffers;
import org.zbig.server.storage.Storage;
import org.zbig.server.storage.TxnMeta;
import org.zbig.wire.CheckCurrentSerial;
import org.zbig.wire.DeleteObject;
import org.zbig.wire.ErrorReply;
import org.zbig.wire.GetInfo;
import org.zbig.wire.GetInvalidations;
import org.zbig.wire.GetTid;
import org.zbig.wire.Heartbeat;
import org.zbig.wire.History;
import org.zbig.wire.Info;
import org.zbig.wire.InvalidateTransaction;
import org.zbig.wire.IteratorGc;
import org.zbig.wire.IteratorNext;
import org.zbig.wire.IteratorRecordNext;
import org.zbig.wire.IteratorRecordStart;
import org.zbig.wire.IteratorStart;
import org.zbig.wire.LastTransaction;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.wire.LoadSerial;
import org.zbig.wire.MalformedRequestException;
import org.zbig.wire.Message;
import org.zbig.wire.NewOids;
import org.zbig.wire.OneWayAsSync;
import org.zbig.wire.OneWayRequest;
import org.zbig.wire.Pack;
import org.zbig.wire.Ping;
import org.zbig.wire.RecordIternext;
import org.zbig.wire.Register;
import org.zbig.wire.RestoreA;
import org.zbig.wire.SendBlob;
import org.zbig.wire.ServerStatus;
import org.zbig.wire.SetClientLabel;
import org.zbig.wire.StoreA;
import org.zbig.wire.StoreBlobChunk;
import org.zbig.wire.StoreBlobEnd;
import org.zbig.wire.StoreBlobShared;
import org.zbig.wire.StoreBlobStart;
import org.zbig.wire.SyncRequest;
import org.zbig.wire.TpcAbort;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.UndoA;
import org.zbig.wire.UndoInfo;
import org.zbig.wire.UndoLog;
import org.zbig.wire.Vote;
import org.zbig.wire.VoteResult;
import org.zbig.wire.netty.HandshakeEvent;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.error.StorageTransactionException;

/**
 * One client connection: dispatches its {@link Message}s to {@link Storage} calls and the committer
 * (docs/protocol.md §3). Runs on the channel's event loop; reads are answered in order on it, so an
 * invalidation, which is queued to the same loop after its commit is published, never overtakes a
 * load reply computed before that commit (docs/protocol.md §5.6).
 *
 * <p>Errors: a failed synchronous call gets an error reply; a failed one-way call, a protocol error
 * or a call before {@code register} closes the connection, logged with the client address
 * (docs/protocol.md §1.6). Nothing one client sends reaches another client or the stored data
 * unless it is a committed transaction.
 */
public final class ConnectionHandler extends ChannelInboundHandlerAdapter
    implements ServedStorage.Subscriber {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

  /**
   * The {@code ruok} status as Python's {@code json.dumps} writes it (ZEO's own answer): ASCII
   * only, {@code ", "} between entries and {@code ": "} after keys.
   */
  private static final ObjectWriter RUOK =
      JsonMapper.builder()
          .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
          .build()
          .writer(
              new MinimalPrettyPrinter() {
                private static final long serialVersionUID = 1L;

                @Override
                public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
                  g.writeRaw(": ");
                }

                @Override
                public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
                  g.writeRaw(", ");
                }
              });

  private static byte[] ruokJson(Map<String, Object> status) {
    try {
      return RUOK.writeValueAsBytes(status);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("status values are plain data", e);
    }
  }

  private static final int MAX_NEW_OIDS = 100;

  private final Map<String, ServedStorage> storages;
  private final ServerConfig config;
  private final Limits limits;
  private long transactionBytes;
  private boolean paused;
  private final AtomicInteger inFlight =
      new AtomicInteger(); // replies owed later: a waiting vote, a pack, a blob being sent
  private boolean refusing; // the last request over the in-flight limit was logged
  private ChannelHandlerContext ctx;
  private ServedStorage served;
  private boolean readOnly;
  private String label = "";
  private Txn txn;
  private ScheduledFuture<?> timeout;

  /**
   * Closes the connection if it has not registered in time; cancelled when it ends, so that the
   * event loop's schedule does not keep the handler and its channel for the register timeout after
   * the client went (20,000 fuzzed connections a minute had held 50 MiB).
   */
  private ScheduledFuture<?> registerDeadline;

  private final BlobUpload upload = new BlobUpload();
  private boolean reading; // inside channelRead: replies are flushed at channelReadComplete
  private final Queue<Object> outOfBand = new ConcurrentLinkedQueue<>();
  private final Iterators iterators = new Iterators();

  public ConnectionHandler(
      Map<String, ServedStorage> storages,
      ServerConfig config,
      Limits limits,
      DirectBuffers buffers) {
    this.storages = storages;
    this.config = config;
    this.limits = limits;
    this.buffers = buffers;
  }

  private final DirectBuffers buffers;

  /** The direct memory of the reply being made, given back once that reply is written. */
  private DirectBuffers.Lease replyLease;

  private String who() {
    return ctx.channel().remoteAddress() + (label.isEmpty() ? "" : " (" + printable(label) + ")");
  }

  /**
   * {@code text} fit for one log line: control characters escaped (what a client sent must not
   * start lines of its own in the log) and at most 2,000 characters.
   */
  static String printable(String text) {
    String t = text == null ? "null" : text;
    StringBuilder sb = new StringBuilder(Math.min(t.length(), 2000) + 16);
    for (int i = 0; i < t.length(); i++) {
      if (sb.length() >= 2000) {
        return sb.append("... (").append(t.length()).append(" characters)").toString();
      }
      char ch = t.charAt(i);
      if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0) || ch == 0x2028 || ch == 0x2029) {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.toString();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    Duration d = limits.registerTimeout();
    if (!d.isZero()) {
      // a connection that never registers (half-open, or a client that only connects) does not
      // keep its connection slot
      registerDeadline =
          ctx.executor()
              .schedule(
                  () -> {
                    if (served == null && ctx.channel().isActive()) {
                      LOG.info("closing {}: not registered within {}", who(), d);
                      ctx.close();
                    }
                  },
                  d.toMillis(),
                  TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof HandshakeEvent.Ruok) {
      Map<String, Object> all = new LinkedHashMap<>();
      storages.forEach((n, s) -> all.put(n, s.zeoStatus(config.transactionTimeout() != null)));
      ctx.writeAndFlush(Unpooled.wrappedBuffer(ruokJson(all)))
          .addListener(ChannelFutureListener.CLOSE);
    } else if (evt instanceof SslCloseCompletionEvent) {
      // the client ended TLS (close_notify): answer it and close, as a client closing waits for
      ctx.close();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof MalformedRequestException m) {
      // the call can be answered: an error reply, and the connection stays
      LOG.warn("malformed {} from {}: {}", printable(m.method()), who(), printable(m.getMessage()));
      ctx.writeAndFlush(ErrorReply.of(m.msgid(), m));
      return;
    }
    if (cause instanceof ProtocolException) {
      LOG.warn("closing {}: {}", who(), printable(cause.getMessage()));
    } else if (cause instanceof IOException) {
      // the client reset the connection (as ZEO's client does after a refused tpc_finish)
      LOG.info("connection from {} ended: {}", who(), printable(cause.getMessage()));
    } else if (cause.getCause() instanceof SSLException tls) {
      LOG.warn("closing {}: TLS refused: {}", ctx.channel().remoteAddress(), tls.getMessage());
    } else {
      LOG.warn("closing {} after an error", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (registerDeadline != null) {
      registerDeadline.cancel(false);
      registerDeadline = null;
    }
    heldBack.clear();
    if (paused && served != null) {
      served.paused.decrementAndGet();
      paused = false;
    }
    abort();
    if (served != null) {
      served.unregister(this);
    }
    ctx.fireChannelInactive();
  }

  /**
   * Queues an invalidation. It is written before the reply to any request this connection reads
   * after the commit was published, so that a {@code ping} (ZODB's {@code server_sync}) or a load
   * answered after the commit never arrives ahead of it (docs/protocol.md §5.6).
   */
  @Override
  public void invalidate(Tid tid, List<Oid> oids) {
    outOfBand.add(new InvalidateTransaction(tid, oids));
    scheduleDrain();
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("address", String.valueOf(ctx.channel().remoteAddress()));
    d.put("label", label);
    d.put("read-only", readOnly);
    d.put("in-transaction", txn != null);
    d.put("requests-in-flight", (long) owed());
    d.put("paused", paused);
    return d;
  }

  @Override
  public void info(Map<String, Object> info) {
    outOfBand.add(new Info(info));
    scheduleDrain();
  }

  /**
   * Runs {@link #drain} on the event loop, once for however many calls were queued meanwhile: a
   * group commit of many transactions wakes each connection's loop once, not once per transaction.
   */
  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) {
      ctx.executor().execute(this::drain);
    }
  }

  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  /** Writes the queued server calls, on the event loop. */
  private void drain() {
    drainScheduled.set(false); // calls queued from now on schedule another drain
    boolean any = false;
    for (Object m; (m = outOfBand.poll()) != null; ) {
      ctx.write(m);
      any = true;
    }
    if (any) {
      ctx.flush();
    }
  }

  /**
   * Requests read while the client was not taking its replies, answered once it does: what waits
   * for such a client is its small request, not its reply (a batch of a hundred pipelined 1 MiB
   * loads read at once had put a hundred replies in the outbound buffer).
   */
  private final ArrayDeque<Object> heldBack = new ArrayDeque<>();

  /** Bytes of this connection's big replies not yet written out (their direct buffers). */
  private long pendingBig;

  /**
   * Whether this connection's requests wait: it does not take its replies (not writable), or the
   * server's memory for unread big replies is used up and some of them are this connection's.
   */
  private boolean mustWait() {
    return !ctx.channel().isWritable() || (pendingBig > 0 && buffers.overBudget());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!heldBack.isEmpty() || mustWait()) {
      heldBack.add(msg);
      pauseReading(true);
      wakeWhenUnderBudget();
      return;
    }
    reading = true;
    try {
      read(msg);
    } finally {
      reading = false;
    }
  }

  private void read(Object msg) {
    drain();
    switch (msg) {
      case Heartbeat h -> {}
      case Register r -> sync(r, () -> register(r));
      case SyncRequest<?> r when served == null -> refuse(r.method() + " before register");
      case OneWayRequest r when served == null -> refuse(r.method() + " before register");
      case SyncRequest<?> r -> sync(r, () -> call(r));
      case OneWayRequest r -> {
        try {
          oneWay(r);
        } catch (RuntimeException e) {
          LOG.warn("closing {}: one-way {} failed: {}", who(), r.method(), printable(e.toString()));
          ctx.close();
        }
      }
      default -> refuse("unexpected " + msg.getClass().getSimpleName() + " from a client");
    }
  }

  /**
   * Writes a reply; while requests are being read it is flushed once the read batch is done ({@link
   * #channelReadComplete}), so pipelined requests cost one write system call per batch.
   */
  private void send(Object reply) {
    DirectBuffers.Lease lease = replyLease;
    replyLease = null;
    if (lease == null || !lease.holdsAny()) {
      // nothing to give back once written: no promise (a failed write closes the connection)
      if (reading) {
        ctx.write(reply, ctx.voidPromise());
      } else {
        ctx.writeAndFlush(reply, ctx.voidPromise());
      }
      return;
    }
    ChannelFuture written = reading ? ctx.write(reply) : ctx.writeAndFlush(reply);
    long n = lease.bytes();
    pendingBig += n;
    written.addListener(f -> { // written or failed: Netty is done with it (on the event loop)
      lease.release();
      pendingBig -= n;
      if (pendingBig == 0 && !heldBack.isEmpty()) {
        resume();
      }
    });
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
    ctx.fireChannelReadComplete();
  }

  private void refuse(String why) {
    LOG.warn("closing {}: {}", who(), printable(why));
    ctx.close();
  }

  /** A synchronous call: a result, or {@link #LATER} when the reply is sent later. */
  @FunctionalInterface
  private interface Call {
    Object run();
  }

  private static final Object LATER = new Object();

  private <R> void sync(SyncRequest<R> r, Call call) {
    Object result;
    try {
      result = call.run();
    } catch (StorageException e) {
      send(ErrorReply.of(r.msgid(), e));
      return;
    } catch (RuntimeException e) {
      LOG.error("{} from {} failed", r.method(), who(), e);
      send(ErrorReply.of(r.msgid(), e));
      return;
    }
    if (result != LATER) {
      reply(r, result);
    }
  }

  @SuppressWarnings("unchecked")
  private <R> void reply(SyncRequest<R> r, Object result) {
    send(r.reply((R) result));
  }

  private Object register(Register r) {
    ServedStorage s = storages.get(r.storage());
    if (s == null) {
      throw new InvalidValueException("unknown storage: " + r.storage());
    }
    if (served != null) {
      throw new InvalidValueException("duplicate register() call");
    }
    if (!r.readOnly() && s.readOnly) {
      throw new ReadOnlyException("read-only storage");
    }
    served = s;
    readOnly = r.readOnly() || s.readOnly;
    return Optional.of(s.register(this));
  }

  private Storage storage() {
    return served.storage;
  }

  private void writable() {
    if (readOnly) {
      throw new ReadOnlyException("read-only connection");
    }
  }

  private Object call(SyncRequest<?> request) {
    return switch (request) {
      case Register r -> register(r);
      case GetInfo r -> served.info();
      case LastTransaction r -> served.lastPublished();
      case GetInvalidations r -> served.invalidationsSince(r.tid());
      case Ping r -> {
        if (served.sharedByServers()) {
          // server_sync: what other servers committed before the ping is announced before the
          // reply, as this server's own commits are (docs/protocol.md §5.6)
          served.catchUp();
          drain();
        }
        yield null;
      }
      case ServerStatus r -> served.zeoStatus(config.transactionTimeout() != null);
      case LoadBefore r -> {
        served.loads.incrementAndGet();
        replyLease = buffers.lease(); // big data straight into direct memory, until written
        yield storage().loadBefore(r.oid(), r.before(), replyLease);
      }
      case LoadBeforeMany r -> {
        var found = MultiLoads.many(storage(), r);
        served.loads.addAndGet(found.size());
        yield found;
      }
      case LoadBeforeTree r -> {
        var found = MultiLoads.tree(storage(), r);
        served.loads.addAndGet(found.size());
        yield found;
      }
      case LoadSerial r -> storage().loadSerial(r.oid(), r.serial());
      case GetTid r ->
          // the current revision; a deletion or an unknown oid is POSKeyError
          storage()
              .loadBefore(r.oid(), Tid.MAX)
              .orElseThrow(() -> new NoSuchObjectException(r.oid()))
              .start();
      case History r -> storage().history(r.oid(), (int) Math.max(1, Math.min(r.size(), 1 << 20)));
      case NewOids r -> {
        writable();
        long n = r.count() == 0 ? MAX_NEW_OIDS : Math.max(1, Math.min(r.count(), MAX_NEW_OIDS));
        yield storage().newOids((int) n);
      }
      case RecordIternext r ->
          storage()
              .recordAtOrAfter(r.next())
              .orElseThrow(() -> new NoSuchObjectException(r.next() == null ? Oid.ROOT : r.next()));
      case Vote r -> vote(r);
      case TpcFinish r -> finish(r);
      case TpcAbort r -> {
        if (txn != null && txn.id == r.txn()) {
          abort();
        }
        yield null;
      }
      case UndoLog r -> UndoLogs.entries(storage(), r.first(), r.last(), null);
      case UndoInfo r -> UndoLogs.entries(storage(), r.first(), r.last(), r.specification());
      case Pack r -> pack(r);
      case IteratorStart r -> {
        admit(r.method());
        yield iterators.startTransactions(storage().transactions(r.start(), r.stop()).iterator());
      }
      case IteratorNext r -> iterators.nextTransaction(r.iid());
      case IteratorRecordStart r -> {
        iterators.checkAt(r.iid(), r.tid());
        admit(r.method());
        yield iterators.startRecords(storage().records(r.tid()).iterator());
      }
      case IteratorRecordNext r -> iterators.nextRecord(r.iid());
      case SendBlob r -> sendBlob(r);
      case OneWayAsSync r -> {
        oneWay(r.request());
        yield null;
      }
    };
  }

  private void oneWay(OneWayRequest request) {
    switch (request) {
      case SetClientLabel r -> label = r.label();
      case TpcBegin r -> {
        writable();
        if (txn != null) {
          if (txn.id == r.txn()) {
            return; // duplicate
          }
          throw new StorageTransactionException(
              "tpc_begin of " + r.txn() + " while " + txn.id + " is open");
        }
        transactionBytes = 0;
        served.activeTxns.incrementAndGet();
        txn =
            new Txn(
                r.txn(),
                new TxnMeta(r.user(), r.description(), r.extension(), r.status()),
                r.tid(),
                this);
      }
      case StoreA r -> {
        op(r.txn(), r);
        served.stores.incrementAndGet();
      }
      case CheckCurrentSerial r -> op(r.txn(), r);
      case DeleteObject r -> op(r.txn(), r);
      case RestoreA r -> op(r.txn(), r);
      case UndoA r -> op(r.txn(), r);
      case IteratorGc r -> iterators.release(r.iids());
      case StoreBlobStart r -> blobStart();
      case StoreBlobChunk r -> blobChunk(r);
      case StoreBlobEnd r -> blobEnd(r);
      case StoreBlobShared r -> blobShared(r);
    }
  }

  /** Counts a transaction's bytes against the limit. */
  private void count(long bytes) {
    transactionBytes += bytes;
    if (transactionBytes > limits.maxTransactionBytes()) {
      throw new StorageException(
          "transaction of more than "
              + limits.maxTransactionBytes()
              + " bytes (the server's limit)");
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    resume();
    ctx.fireChannelWritabilityChanged();
  }

  /**
   * Back-pressure: a client that does not read its replies is not read from either, and what it
   * sent meanwhile is answered as it takes the replies (on the event loop).
   */
  private void resume() {
    if (!ctx.channel().isActive() || resuming) {
      return; // closed, or called back from a write of the loop below: it goes on by itself
    }
    if (!heldBack.isEmpty() && !mustWait()) {
      resuming = true;
      reading = true;
      try {
        while (!heldBack.isEmpty() && !mustWait() && ctx.channel().isActive()) {
          read(heldBack.poll());
        }
      } finally {
        reading = false;
        resuming = false;
      }
      ctx.flush();
    }
    pauseReading(!ctx.channel().isWritable() || !heldBack.isEmpty());
    wakeWhenUnderBudget();
  }

  private boolean wakeScheduled;
  private boolean resuming;

  /** Held back for want of memory: resumes once there is some again. */
  private void wakeWhenUnderBudget() {
    if (!heldBack.isEmpty() && pendingBig > 0 && !wakeScheduled && buffers.overBudget()) {
      wakeScheduled = true;
      buffers.whenUnderBudget(() ->
          ctx.executor()
              .execute(() -> {
                wakeScheduled = false;
                resume();
              }));
    }
  }

  private void pauseReading(boolean pause) {
    ctx.channel().config().setAutoRead(!pause);
    if (served != null && pause != paused) {
      paused = pause;
      if (paused) {
        served.paused.incrementAndGet();
        LOG.debug("pausing {}: its replies are not being read", who());
      } else {
        served.paused.decrementAndGet();
      }
    }
  }

  private void op(long id, OneWayRequest r) {
    writable();
    Txn t = current(id, r.method());
    switch (r) {
      case StoreA s -> count(s.data().length());
      case RestoreA s -> count(s.data() == null ? 0 : s.data().length());
      default -> {}
    }
    if (!t.open()) {
      throw new StorageTransactionException(r.method() + " after vote");
    }
    t.ops.add(r);
  }

  private Txn current(long id, String method) {
    if (txn == null || txn.id != id) {
      throw new StorageTransactionException(
          method
              + " of transaction "
              + id
              + (txn == null ? " with none open" : " while " + txn.id + " is open"));
    }
    return txn;
  }

  /** Requests whose reply is owed for later, and open iterators. */
  private int owed() {
    return inFlight.get() + iterators.open();
  }

  /**
   * Lets a request that will be owed for later in (see {@link Limits#maxRequestsInFlight()}), or
   * fails it naming the limit; the first refusal of a burst is logged with the client address.
   */
  private void admit(String method) {
    int owed = owed();
    if (owed < limits.maxRequestsInFlight()) {
      refusing = false;
      return;
    }
    if (!refusing) {
      refusing = true;
      LOG.warn(
          "refusing {} from {}: {} requests in flight (limit {})",
          method,
          who(),
          owed,
          limits.maxRequestsInFlight());
    }
    throw new StorageException(
        method
            + ": "
            + owed
            + " requests in flight on this connection (expected: < "
            + limits.maxRequestsInFlight()
            + ", the server's limit; iterators count until exhausted or released)");
  }

  /**
   * Votes through the {@link Committer}: answered now when the transaction's object locks are free,
   * later when another transaction holds one of them.
   */
  private Object vote(Vote v) {
    writable();
    Txn t = current(v.txn(), "vote");
    if (t.refused != null) {
      throw t.refused;
    }
    CompletableFuture<VoteResult> f = served.committer.vote(t); // "Already voting" throws here
    if (f.isDone()) {
      return voted(t, f);
    }
    long waitStart = System.nanoTime();
    inFlight.incrementAndGet();
    f.whenCompleteAsync(
        (r, e) -> {
          inFlight.decrementAndGet();
          served.lockWaits.incrementAndGet();
          served.lockWaitNanos.addAndGet(System.nanoTime() - waitStart);
          if (!ctx.channel().isActive() || txn != t) {
            served.committer.abort(t);
            return;
          }
          sync(v, () -> voted(t, f));
        },
        ctx.executor());
    return LATER;
  }

  /** The completed vote's result; after a failure the transaction is gone (its locks too). */
  private VoteResult voted(Txn t, CompletableFuture<VoteResult> f) {
    VoteResult r;
    try {
      r = f.join();
    } catch (CompletionException | CancellationException e) {
      dropBlobs(t);
      txn = null; // an error discards the transaction; the client sends tpc_abort
      served.activeTxns.decrementAndGet();
      served.committer.wake(); // a group write waiting for it (the committer dropped it first)
      served.aborts.incrementAndGet();
      Throwable cause = Committer.unwrap(e);
      throw cause instanceof RuntimeException re
          ? re
          : new StorageException("vote: " + cause.getMessage(), cause);
    }
    if (!r.conflicts().isEmpty()) {
      served.conflicts.incrementAndGet();
    }
    armTimeout(t); // it holds locks until it finishes, aborts or re-votes
    return r;
  }

  /** Closes the connection if {@code t} still holds its locks after the transaction timeout. */
  private void armTimeout(Txn t) {
    if (config.transactionTimeout() == null || timeout != null) {
      return;
    }
    timeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (txn == t) {
                    LOG.warn(
                        "closing {}: transaction {} held its locks longer than {}",
                        who(),
                        t.id,
                        config.transactionTimeout());
                    ctx.close();
                  }
                },
                config.transactionTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
  }

  /**
   * Queues the voted transaction for the next group write; replies with its tid once durable and
   * published. The connection may begin its next transaction meanwhile.
   */
  private Object finish(TpcFinish r) {
    Txn t = current(r.txn(), "tpc_finish");
    // the reply goes out with the invalidations, in tid order: see Txn.published
    t.published =
        () -> {
          outOfBand.add(new Info(served.sizeInfo()));
          outOfBand.add(r.reply(t.tid));
          scheduleDrain();
        };
    served.finishReplyOwed(); // a graceful stop waits for the reply too
    CompletableFuture<Tid> f;
    // no longer open once queued: counted out first, so that a group writer waiting for the open
    // transactions to queue (Committer.finish) sees this one queued and not open
    served.activeTxns.decrementAndGet();
    try {
      f = served.committer.finish(t); // not voted: throws here
    } catch (RuntimeException e) {
      served.activeTxns.incrementAndGet(); // still open: the client aborts it
      served.finishReplyDone();
      throw e;
    }
    cancelTimeout();
    txn = null;
    inFlight.incrementAndGet();
    f.whenCompleteAsync(
        (tid, e) -> {
          inFlight.decrementAndGet();
          dropBlobs(t);
          if (e != null) {
            ctx.writeAndFlush(ErrorReply.of(r.msgid(), Committer.unwrap(e)));
          } else {
            drain(); // the reply queued at publication
          }
          served.finishReplyDone();
        },
        ctx.executor());
    return LATER;
  }

  /** Drops the open transaction: its locks, or its place among the waiting votes. */
  private void abort() {
    cancelTimeout();
    if (txn != null) {
      served.aborts.incrementAndGet();
      served.activeTxns.decrementAndGet(); // first: the abort wakes a group write waiting for it
      served.committer.abort(txn);
      dropBlobs(txn);
      txn = null;
    }
  }

  private void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }

  /** Deletes the blob files a transaction uploaded and did not commit. */
  private void dropBlobs(Txn t) {
    upload.close();
    t.deleteUploads();
  }

  private Txn openForBlob(String method) {
    writable();
    if (txn == null || !txn.open()) {
      throw new StorageTransactionException(method + " outside an open transaction");
    }
    return txn;
  }

  private void blobStart() {
    upload.start(openForBlob("storeBlobStart"), storage().newBlobFile());
  }

  private void blobChunk(StoreBlobChunk r) {
    openForBlob("storeBlobChunk");
    count(r.chunk().length());
    upload.write(r.chunk());
  }

  private void blobEnd(StoreBlobEnd r) {
    Txn t = openForBlob("storeBlobEnd");
    upload.end(t, r.txn(), r.oid());
    t.ops.add(r);
  }

  /**
   * {@code storeBlobShared}: the client wrote the blob into this server's blob folder, which it
   * shares; the storage takes the file at once (a name of its own), so that it is the transaction's
   * alone. A file that is not there, or not a plain file of a temporary name, fails the transaction
   * at its vote, with the reason, and is left where it is; the connection stays.
   */
  private void blobShared(StoreBlobShared r) {
    openForBlob("storeBlobShared");
    Txn t = current(r.txn(), "storeBlobShared");
    Path file;
    try {
      file = storage().takeSharedBlobFile(r.oid(), r.filename());
    } catch (StorageException e) {
      LOG.warn("{}: storeBlobShared of {} refused: {}", who(), r.oid().toHex(), e.toString());
      if (t.refused == null) {
        t.refused = e;
      }
      return;
    }
    t.uploaded(file); // the transaction's now: an abort deletes it
    if (t.refused != null) {
      return; // its vote fails: taken all the same, so that the abort removes it
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      t.refused = new StorageException("cannot read shared blob file " + file + ": " + e, e);
      return;
    }
    count(size);
    t.blobStored(r.oid(), file);
    t.ops.add(new StoreBlobEnd(r.oid(), r.serial(), r.data(), r.txn()));
  }

  /** {@code sendBlob}: the reply is written after the blob's chunks ({@link BlobDownload}). */
  private Object sendBlob(SendBlob r) {
    admit(r.method());
    Path p = storage().blobFile(r.oid(), r.serial());
    FileChannel in;
    try {
      in = FileChannel.open(p, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new NoSuchObjectException(r.oid());
    }
    inFlight.incrementAndGet();
    BlobDownload.start(
        ctx,
        r,
        in,
        readFailure -> {
          inFlight.decrementAndGet();
          if (readFailure != null) {
            LOG.warn(
                "closing {}: cannot read blob of {}: {}",
                who(),
                r.oid().toHex(),
                readFailure.toString());
            ctx.close();
          }
        });
    return LATER;
  }

  private Object pack(Pack r) {
    if (served.readOnly) {
      throw new ReadOnlyException("read-only storage");
    }
    if (!(r.time() > 0) || Double.isInfinite(r.time())) {
      throw new InvalidValueException("pack time: " + r.time() + " (expected: seconds > 0)");
    }
    // a time in the future packs up to now, as ZEO's storages do
    double time = Math.min(r.time(), System.currentTimeMillis() / 1000.0);
    long micros = (long) (time * 1e6);
    Tid packTid = Tid.of(Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
    if (r.block()) {
      admit(r.method());
    }
    var done = served.pack(packTid, config.packGc());
    if (!r.block()) {
      return null;
    }
    inFlight.incrementAndGet();
    done.whenComplete((result, error) ->
        ctx.executor()
            .execute(() -> {
              inFlight.decrementAndGet();
              if (error != null) {
                Throwable cause =
                    error instanceof CompletionException c && c.getCause() != null
                        ? c.getCause()
                        : error;
                ctx.writeAndFlush(ErrorReply.of(r.msgid(), cause));
              } else {
                ctx.writeAndFlush(r.reply(null));
              }
            }));
    return LATER;
  }
}
