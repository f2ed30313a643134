package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleWriter;
import org.zbig.zodb.pickle.Tuple;

/** Malformed messages are refused with a ProtocolException that says what was wrong. */
class MalformedInputTest {
  private static final MessageCodec SERVER_Z = new MessageCodec(Encoding.PICKLE, Role.SERVER);
  private static final MessageCodec SERVER_M = new MessageCodec(Encoding.MSGPACK, Role.SERVER);
  private static final MessageCodec CLIENT_Z = new MessageCodec(Encoding.PICKLE, Role.CLIENT);

  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h.replace(" ", ""));
  }

  private static void refused(MessageCodec codec, byte[] payload, String message) {
    assertThatThrownBy(() -> codec.decode(payload, 0, payload.length))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining(message);
  }

  private static byte[] pickle(Object message) {
    return new PickleWriter(false, v -> null).dump(message).toByteArray();
  }

  private static final Bytes OID = Bytes.ofHex("0000000000000001");

  @Test
  void garbagePickles() {
    refused(SERVER_Z, hex("80 03 28 4b 01"), "undecodable Z5 message");
    refused(SERVER_Z, hex("ff ff ff"), "undecodable Z5 message");
    refused(SERVER_Z, hex(""), "undecodable Z5 message");
    refused(SERVER_Z, hex("80 03 42 ff ff ff 7f 00"), "undecodable Z5 message");
    refused(SERVER_Z, hex("80 03 4e 2e 4e 2e"), "bytes after the pickle's STOP");
  }

  @Test
  void garbageMsgpack() {
    refused(SERVER_M, hex("94 01"), "M5 array of 4 items in 1 bytes");
    refused(SERVER_M, hex("94 01 c2 cd 01"), "undecodable M5 message");
    refused(SERVER_M, hex("c1"), "undecodable M5 message");
    refused(SERVER_M, hex("dd 7f ff ff ff"), "M5 array of 2147483647 items in 0 bytes");
    refused(SERVER_M, hex("c6 7f ff ff ff 00"), "M5 bin of 2147483647 bytes");
    refused(SERVER_M, hex("a2 c3 28"), "M5 str is not valid UTF-8");
    refused(SERVER_M, hex("d4 01 00"), "msgpack ext type 1");
    refused(SERVER_M, hex("c0 c0"), "bytes after the value");
    refused(SERVER_M, hex("81 80 00"), "M5 map key: dict {} (expected: a hashable value)");
  }

  @Test
  void deepNestingIsRefusedNotAStackOverflow() {
    byte[] deep = new byte[100_000];
    java.util.Arrays.fill(deep, (byte) 0x91);
    refused(SERVER_M, deep, "it ends before its value is complete");
    byte[] deepComplete = java.util.Arrays.copyOf(deep, deep.length + 1);
    deepComplete[deep.length] = (byte) 0xc0;
    assertThatThrownBy(() -> SERVER_M.decode(deepComplete, 0, deepComplete.length))
        .isInstanceOf(ProtocolException.class);
    byte[] deepPickle = new byte[200_002];
    deepPickle[0] = (byte) 0x80;
    deepPickle[1] = 3;
    java.util.Arrays.fill(deepPickle, 2, deepPickle.length, (byte) ']');
    assertThatThrownBy(() -> SERVER_Z.decode(deepPickle, 0, deepPickle.length))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void forbiddenGlobalsAreNamed() {
    refused(
        SERVER_Z,
        hex("80 03 63 6f 73 0a 73 79 73 74 65 6d 0a 2e"),
        "global not allowed: os.system");
    refused(
        CLIENT_Z,
        hex("80 03 63 6f 73 0a 73 79 73 74 65 6d 0a 2e"),
        "global not allowed: os.system");
  }

  @Test
  void allowedGlobalsBecomeOpaqueValues() {
    // undoInfo(0, 5, {'user_name': ZopeUndo.Prefix.Prefix('/site')}) as Zope sends it
    byte[] p =
        pickle(
            Tuple.of(
                3L,
                false,
                "undoInfo",
                Tuple.of(
                    0L,
                    5L,
                    java.util.Map.of(
                        "user_name",
                        new org.zbig.zodb.pickle.PyObject(
                            new org.zbig.zodb.pickle.Global("ZopeUndo.Prefix", "Prefix"),
                            Tuple.of("/site"),
                            org.zbig.zodb.pickle.PyObject.Kind.REDUCE)))));
    UndoInfo u = (UndoInfo) SERVER_Z.decode(p, 0, p.length);
    assertThat(u.specification().get("user_name"))
        .isInstanceOf(org.zbig.zodb.pickle.PyObject.class);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "loadBefore | loadBefore: 1 arguments (expected: 2)",
        "nosuch | unknown method: 'nosuch'",
      })
  void wrongArityAndUnknownMethods(String method, String message) {
    refused(SERVER_Z, pickle(Tuple.of(5L, false, method, Tuple.of(OID))), message);
  }

  @Test
  void wrongTypes() {
    refused(
        SERVER_Z,
        pickle(Tuple.of(5L, false, "loadBefore", Tuple.of(OID, "abc"))),
        "loadBefore argument 2 (before): str 'abc' (expected: 8 bytes)");
    refused(
        SERVER_Z,
        pickle(Tuple.of(0L, true, "storea", Tuple.of(OID, OID, "data", 1L))),
        "storea argument 3 (data): str 'data' (expected: bytes)");
    refused(
        SERVER_Z,
        pickle(Tuple.of(5L, false, "vote", Tuple.of(1.5))),
        "vote argument 1 (txn): float 1.5 (expected: int");
    refused(SERVER_Z, pickle(Tuple.of(5L, false, "ping")), "expected: a 4-tuple");
    refused(SERVER_Z, pickle(Tuple.of(5L, false, 7L, Tuple.EMPTY)), "message name: int 7");
    refused(
        SERVER_Z,
        pickle(Tuple.of(new java.util.ArrayList<>(), false, "ping", Tuple.EMPTY)),
        "msgid: list [] (expected: an int, bytes of at most 64, or a tuple of at most 4 of those)");
    refused(SERVER_Z, pickle(Tuple.of(5L, false, "ping", 3L)), "ping arguments: int 3");
  }

  @Test
  void callModesMustMatchTheMethod() {
    refused(
        SERVER_Z,
        pickle(Tuple.of(0L, true, "vote", Tuple.of(1L))),
        "vote: sent one-way (expected: a synchronous call)");
    // a one-way method called synchronously is run and answered, as ZEO's server does
    byte[] syncBegin =
        pickle(Tuple.of(3L, false, "tpc_begin", Tuple.of(1L, OID, OID, java.util.Map.of())));
    assertThat(SERVER_Z.decode(syncBegin, 0, syncBegin.length))
        .isInstanceOfSatisfying(
            OneWayAsSync.class,
            m -> {
              assertThat(m.msgid()).isEqualTo(MsgId.of(3));
              assertThat(m.request()).isInstanceOf(TpcBegin.class);
            });
    // and a dict(pairs) call stands for its dict, as ZEO's server makes it
    byte[] reducedExt =
        pickle(
            Tuple.of(
                0L,
                true,
                "tpc_begin",
                Tuple.of(
                    1L,
                    OID,
                    OID,
                    new org.zbig.zodb.pickle.PyObject(
                        new org.zbig.zodb.pickle.Global("builtins", "dict"),
                        Tuple.of(Tuple.of(Tuple.of("foo", 1L))),
                        org.zbig.zodb.pickle.PyObject.Kind.REDUCE))));
    assertThat(((TpcBegin) SERVER_Z.decode(reducedExt, 0, reducedExt.length)).extension())
        .isEqualTo(java.util.Map.of("foo", 1L));
    refused(SERVER_Z, pickle(Tuple.of(3L, 0L, ".reply", null)), "reply from a client");
    refused(
        CLIENT_Z,
        pickle(Tuple.of(0L, true, "serialnos", Tuple.EMPTY)),
        "unknown server call: 'serialnos'");
  }

  @Test
  void zeo50HeartbeatWithoutProtoOpcodeIsAHeartbeat() {
    byte[] p = hex("28 4a ff ff ff ff 4b 00 55 06 2e 72 65 70 6c 79 4e 74 2e");
    assertThat(SERVER_Z.decode(p, 0, p.length)).isEqualTo(new Heartbeat());
  }
}
