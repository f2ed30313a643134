package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.BTreesConflictException;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.MissingKeyException;
import org.zbig.zodb.error.MultipleUndoException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadConflictException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.error.ServerException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.error.StorageTransactionException;
import org.zbig.zodb.error.UndoException;
import org.zbig.zodb.error.WrongTypeException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/** Our exceptions travel as ZEO error replies and come back as the same exceptions. */
class ErrorReplyTest {
  private static final MsgId ID = MsgId.of(7);
  private static final Oid OID = new Oid(0x1234);
  private static final Tid T1 = Tid.ofHex("040d2c20d3444dbb");
  private static final Tid T2 = Tid.ofHex("040d2c20d346a444");

  static Stream<StorageException> errors() {
    return Stream.of(
        new ConflictException(
            ConflictException.DEFAULT_MESSAGE, OID, T2, T1, "BTrees.Length.Length"),
        new ConflictException("no details", null, null, null, null),
        new ReadConflictException(ReadConflictException.DEFAULT_MESSAGE, OID, T2, T1, null),
        new BTreesConflictException(1, 2, 3, 4),
        new MultipleUndoException(List.of(new MultipleUndoException.Failure(OID, "non-undoable"))),
        new UndoException("undo error", OID),
        new NoSuchObjectException(OID),
        new ReadOnlyException("read-only storage"),
        new StorageTransactionException("no transaction"),
        new MissingKeyException(Bytes.ofHex("00ff")),
        new WrongTypeException("bad type"),
        new InvalidValueException("unknown storage: x"),
        new StorageException("failed"),
        new ServerException("builtins.RuntimeError", Tuple.of("boom")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errors")
  void roundTripsThroughBothEncodings(StorageException e) {
    for (Encoding enc : Encoding.values()) {
      ErrorReply reply = ErrorReply.of(ID, e);
      byte[] bytes = new MessageCodec(enc, Role.SERVER).encodeToArray(reply);
      ErrorReply back =
          (ErrorReply) new MessageCodec(enc, Role.CLIENT).decode(bytes, 0, bytes.length);
      assertThat(back.className()).isEqualTo(reply.className());
      StorageException again = back.toException();
      assertThat(again).isExactlyInstanceOf(e.getClass()).hasMessage(e.getMessage());
      if (e instanceof ConflictException c) {
        ConflictException d = (ConflictException) again;
        assertThat(d.oid()).isEqualTo(c.oid());
        assertThat(d.committedSerial()).isEqualTo(c.committedSerial());
        assertThat(d.readSerial()).isEqualTo(c.readSerial());
        assertThat(d.className()).isEqualTo(c.className());
      }
    }
  }

  /** A Python client indexes these keys; a missing one would leave its caller waiting forever. */
  @Test
  void conflictPayloadHasEveryKeyAPythonClientReads() {
    ErrorReply r = ErrorReply.of(ID, new ConflictException("x", null, null, null, null));
    assertThat(WireValues.dict(r.payload(), "payload"))
        .containsKeys("message", "oid", "serials", "class_name");
  }

  @Test
  void internalFailuresTravelWithoutJavaDetails() {
    ErrorReply r = ErrorReply.of(ID, new NullPointerException("secret detail"));
    assertThat(r.className()).isEqualTo("ZODB.POSException.StorageError");
    assertThat(r.payload().toString()).doesNotContain("secret").doesNotContain("at org.");
  }

  @Test
  void malformedOrUnknownPayloadsBecomeServerExceptions() {
    assertThat(new ErrorReply(ID, ConflictException.PYTHON_NAME, Tuple.of("x")).toException())
        .isInstanceOf(ServerException.class);
    assertThat(new ErrorReply(ID, NoSuchObjectException.PYTHON_NAME, 5L).toException())
        .isInstanceOf(ServerException.class);
    assertThat(new ErrorReply(ID, "foo.Bar", null).toException())
        .isInstanceOfSatisfying(
            ServerException.class, s -> assertThat(s.remoteClassName()).isEqualTo("foo.Bar"));
  }

  @Test
  void zeo4ErrorFormatIsRecognised() {
    Object value =
        Tuple.of(
            new org.zbig.zodb.pickle.Global("ZODB.POSException", "POSKeyError"),
            new org.zbig.zodb.pickle.PyObject(
                new org.zbig.zodb.pickle.Global("ZODB.POSException", "POSKeyError"),
                Tuple.of(WireValues.bytes(OID)),
                org.zbig.zodb.pickle.PyObject.Kind.REDUCE));
    Message m = Messages.fromValue(Tuple.of(3L, 0L, Messages.REPLY, value), Role.CLIENT);
    assertThat(((ErrorReply) m).toException()).isInstanceOf(NoSuchObjectException.class);
  }
}
