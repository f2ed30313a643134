package org.zbig.wire;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@link Message}s to and from the decoded 4-tuple {@code (msgid, flag, name, args)}
 * (docs/protocol.md §2.1), whatever the encoding. Every shape error is a {@link ProtocolException}
 * naming what was wrong: not a 4-tuple, an unknown method, a synchronous method sent one-way, wrong
 * arity or argument types. A one-way method called synchronously is a {@link OneWayAsSync}.
 */
public final class Messages {
  /** The name of replies. */
  public static final String REPLY = ".reply";

  private static final Long ZERO = 0L;
  private static final Long ERROR_FLAG = 2L;

  private static final Map<String, BiFunction<MsgId, Args, SyncRequest<?>>> SYNC =
      Map.ofEntries(
          Map.entry(Register.METHOD, Register::decode),
          Map.entry(GetInfo.METHOD, GetInfo::decode),
          Map.entry(LastTransaction.METHOD, LastTransaction::decode),
          Map.entry(GetInvalidations.METHOD, GetInvalidations::decode),
          Map.entry(Ping.METHOD, Ping::decode),
          Map.entry(ServerStatus.METHOD, ServerStatus::decode),
          Map.entry(LoadBefore.METHOD, LoadBefore::decode),
          Map.entry(LoadBeforeMany.METHOD, LoadBeforeMany::decode),
          Map.entry(LoadBeforeTree.METHOD, LoadBeforeTree::decode),
          Map.entry(LoadSerial.METHOD, LoadSerial::decode),
          Map.entry(GetTid.METHOD, GetTid::decode),
          Map.entry(History.METHOD, History::decode),
          Map.entry(NewOids.METHOD, NewOids::decode),
          Map.entry(RecordIternext.METHOD, RecordIternext::decode),
          Map.entry(Vote.METHOD, Vote::decode),
          Map.entry(TpcFinish.METHOD, TpcFinish::decode),
          Map.entry(TpcAbort.METHOD, TpcAbort::decode),
          Map.entry(UndoLog.METHOD, UndoLog::decode),
          Map.entry(UndoInfo.METHOD, UndoInfo::decode),
          Map.entry(Pack.METHOD, Pack::decode),
          Map.entry(IteratorStart.METHOD, IteratorStart::decode),
          Map.entry(IteratorNext.METHOD, IteratorNext::decode),
          Map.entry(IteratorRecordStart.METHOD, IteratorRecordStart::decode),
          Map.entry(IteratorRecordNext.METHOD, IteratorRecordNext::decode),
          Map.entry(SendBlob.METHOD, SendBlob::decode));

  private static final Map<String, Function<Args, OneWayRequest>> ONE_WAY =
      Map.ofEntries(
          Map.entry(SetClientLabel.METHOD, SetClientLabel::decode),
          Map.entry(TpcBegin.METHOD, TpcBegin::decode),
          Map.entry(StoreA.METHOD, StoreA::decode),
          Map.entry(CheckCurrentSerial.METHOD, CheckCurrentSerial::decode),
          Map.entry(DeleteObject.METHOD, DeleteObject::decode),
          Map.entry(RestoreA.METHOD, RestoreA::decode),
          Map.entry(UndoA.METHOD, UndoA::decode),
          Map.entry(StoreBlobStart.METHOD, StoreBlobStart::decode),
          Map.entry(StoreBlobChunk.METHOD, StoreBlobChunk::decode),
          Map.entry(StoreBlobEnd.METHOD, StoreBlobEnd::decode),
          Map.entry(StoreBlobShared.METHOD, StoreBlobShared::decode),
          Map.entry(IteratorGc.METHOD, IteratorGc::decode));

  private static final Map<String, Function<Args, ServerCall>> SERVER_CALLS =
      Map.of(
          InvalidateTransaction.METHOD, InvalidateTransaction::decode,
          Info.METHOD, Info::decode,
          ReceiveBlobStart.METHOD, ReceiveBlobStart::decode,
          ReceiveBlobChunk.METHOD, ReceiveBlobChunk::decode,
          ReceiveBlobStop.METHOD, ReceiveBlobStop::decode);

  private Messages() {}

  /** The 4-tuple that carries {@code m}, shaped as Python peers send it (docs/protocol.md §2.1). */
  public static Tuple toValue(Message m) {
    return switch (m) {
      case SyncRequest<?> r -> Tuple.of(r.msgid().value(), false, r.method(), r.args());
      case OneWayRequest r -> Tuple.of(ZERO, true, r.method(), r.args());
      case ServerCall c -> Tuple.of(ZERO, true, c.method(), c.args());
      case Reply r -> Tuple.of(r.msgid().value(), ZERO, REPLY, r.value());
      case ErrorReply e ->
          Tuple.of(e.msgid().value(), ERROR_FLAG, REPLY, Tuple.of(e.className(), e.payload()));
      case Heartbeat h -> Tuple.of(-1L, ZERO, REPLY, null);
    };
  }

  /**
   * The message a decoded 4-tuple stands for, its arguments limited to {@link #DEFAULT_MAX_VALUES}
   * values.
   *
   * @param receiver the end that received it: a server accepts requests and heartbeats, a client
   *     replies, error replies and server calls
   * @throws ProtocolException if the value is not such a message
   */
  public static Message fromValue(Object value, Role receiver) {
    return fromValue(value, receiver, DEFAULT_MAX_VALUES);
  }

  /** The limit of {@link #fromValue(Object, Role)}: far more values than ZEO messages hold. */
  public static final long DEFAULT_MAX_VALUES = 1L << 22;

  /**
   * The message a decoded 4-tuple stands for.
   *
   * <p>Nothing walks the value before it passed {@link WireValues#checkShape}: the msgid is checked
   * first ({@link MsgId}, constant time), then the arguments are checked against {@code maxValues}.
   * Arguments over the limit of a call that can be answered (a synchronous request, a reply) are
   * reported with its msgid ({@link MalformedRequestException}, {@link MalformedReplyException}),
   * so that the connection survives.
   *
   * @param receiver the end that received it: a server accepts requests and heartbeats, a client
   *     replies, error replies and server calls
   * @param maxValues the most values the arguments may hold (see {@link WireValues#checkShape});
   *     {@link MessageCodec} gives a number proportional to the frame's size
   * @throws ProtocolException if the value is not such a message
   */
  public static Message fromValue(Object value, Role receiver, long maxValues) {
    List<Object> t;
    try {
      t = WireValues.sequence(value, 4, "message");
    } catch (ProtocolException e) {
      throw WireValues.bad("message", value, "a 4-tuple (msgid, flag, name, args)");
    }
    Object id = t.get(0);
    if (id instanceof Long l && l == -1) {
      return new Heartbeat();
    }
    String name = WireValues.text(t.get(2), "message name");
    boolean flag = WireValues.flag(t.get(1), "message flag");
    Object args = t.get(3);
    if (name.equals(REPLY)) {
      if (receiver == Role.SERVER) {
        throw new ProtocolException("reply from a client: msgid " + WireValues.repr(id));
      }
      MsgId msgid = new MsgId(id);
      try {
        WireValues.checkShape(args, maxValues, () -> "reply to msgid " + msgid);
        if (flag) {
          List<Object> error = WireValues.sequence(args, 2, "error reply");
          return new ErrorReply(msgid, WireValues.text(error.get(0), "error class"), error.get(1));
        }
      } catch (ProtocolException e) {
        throw new MalformedReplyException(msgid, e);
      }
      return obsoleteError(msgid, args);
    }
    return receiver == Role.SERVER
        ? request(id, flag, name, args, maxValues)
        : serverCall(flag, name, args, maxValues);
  }

  private static Request request(
      Object id, boolean oneWay, String name, Object args, long maxValues) {
    var sync = SYNC.get(name);
    if (sync != null) {
      if (oneWay) {
        throw new ProtocolException(name + ": sent one-way (expected: a synchronous call)");
      }
      MsgId msgid = new MsgId(id);
      try {
        WireValues.checkShape(args, maxValues, () -> name + " arguments");
        return sync.apply(msgid, new Args(name, args));
      } catch (ProtocolException e) {
        throw new MalformedRequestException(msgid, name, e);
      }
    }
    var oneWayCall = ONE_WAY.get(name);
    if (oneWayCall != null) {
      if (!oneWay) {
        // ZEO runs any method either way: answered with None or the error
        MsgId msgid = new MsgId(id);
        try {
          WireValues.checkShape(args, maxValues, () -> name + " arguments");
          return new OneWayAsSync(msgid, oneWayCall.apply(new Args(name, args)));
        } catch (ProtocolException e) {
          throw new MalformedRequestException(msgid, name, e);
        }
      }
      WireValues.checkShape(args, maxValues, () -> name + " arguments");
      return oneWayCall.apply(new Args(name, args));
    }
    throw new ProtocolException("unknown method: " + WireValues.repr(name));
  }

  private static ServerCall serverCall(boolean oneWay, String name, Object args, long maxValues) {
    var call = SERVER_CALLS.get(name);
    if (call == null) {
      throw new ProtocolException(
          "unknown server call: "
              + WireValues.repr(name)
              + " (expected: one of "
              + SERVER_CALLS.keySet().stream().sorted().toList()
              + ")");
    }
    if (!oneWay) {
      throw new ProtocolException(name + ": sent as a synchronous call (expected: one-way)");
    }
    WireValues.checkShape(args, maxValues, () -> name + " arguments");
    return call.apply(new Args(name, args));
  }

  /**
   * A reply, or the error in the ZEO 4 format that ZEO 5/6 clients still recognise in pickle mode:
   * flag 0 and {@code (ExceptionClass, instance)} (docs/protocol.md §2.5).
   */
  private static Message obsoleteError(MsgId msgid, Object value) {
    if (value instanceof Tuple t
        && t.size() == 2
        && t.get(0) instanceof Global g
        && t.get(1) instanceof PyObject o) {
      Object payload =
          o.hasState() && o.state() instanceof Map<?, ?> m && !m.isEmpty() ? o.state() : o.args();
      return new ErrorReply(msgid, g.dotted(), payload);
    }
    return new Reply(msgid, value);
  }
}
