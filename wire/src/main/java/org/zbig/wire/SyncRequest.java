package org.zbig.wire;

/**
 * A synchronous call: sent with flag false and answered by a {@link Reply} or an {@link ErrorReply}
 * with the same msgid (docs/protocol.md §2.1).
 *
 * @param <R> the Java type of the result
 */
public sealed interface SyncRequest<R> extends Request
    permits Register,
        GetInfo,
        LastTransaction,
        GetInvalidations,
        Ping,
        ServerStatus,
        LoadBefore,
        LoadBeforeMany,
        LoadBeforeTree,
        LoadSerial,
        GetTid,
        History,
        NewOids,
        RecordIternext,
        Vote,
        TpcFinish,
        TpcAbort,
        UndoLog,
        UndoInfo,
        Pack,
        IteratorStart,
        IteratorNext,
        IteratorRecordStart,
        IteratorRecordNext,
        SendBlob,
        OneWayAsSync {
  /** The id the reply must echo. */
  MsgId msgid();

  /**
   * The result carried by a reply value.
   *
   * @throws org.zbig.zodb.error.ProtocolException if the value has the wrong shape
   */
  R decodeResult(Object value);

  /** The reply value that carries {@code result}, shaped as a Python ZEO server sends it. */
  Object encodeResult(R result);

  /** The reply to this request. */
  default Reply reply(R result) {
    return new Reply(msgid(), encodeResult(result));
  }
}
