package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zbig.wire.vectors.ZeoVectors;
import org.zbig.wire.vectors.ZeoVectors.Frame;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * Every frame of every exchange recorded between a real Python ZEO 6 client and server, in both
 * encodings: it decodes to the recorded value and to a typed message, and re-encodes to a frame
 * that decodes equal; server frames re-encode byte for byte, also when rebuilt from the typed
 * result of the request they answer.
 */
class RecordedExchangeTest {
  static Stream<Frame> messages() {
    return ZeoVectors.messages();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void decodesToTheRecordedValue(Frame f) {
    byte[] payload = f.payload();
    assertThat(f.wire().length - 4).isEqualTo(readLength(f.wire()));
    Object decoded = f.codec().decodeValue(payload, 0, payload.length);
    Object expected =
        f.encoding() == Encoding.MSGPACK ? ZeoVectors.arraysAsTuples(f.value()) : f.value();
    assertThat(decoded).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void decodesToAMessageThatCarriesTheSameValue(Frame f) {
    byte[] payload = f.payload();
    Message m = f.codec().decode(payload, 0, payload.length);
    if (f.fromClient()) {
      assertThat(m).isInstanceOfAny(Request.class, Heartbeat.class);
    } else {
      assertThat(m).isInstanceOfAny(Reply.class, ErrorReply.class, ServerCall.class);
    }
    if (m instanceof Heartbeat) {
      assertThat(WireValues.sequence(f.value(), "heartbeat").getFirst()).isEqualTo(-1L);
      return;
    }
    assertThat(ZeoVectors.loose(Messages.toValue(m)))
        .isEqualTo(ZeoVectors.loose(userAsBytes(f.value())));
  }

  /**
   * A client may send {@code tpc_begin}'s user and description as str (one recording does); the
   * record holds their UTF-8 bytes (docs/protocol.md §2.4), which is what it re-encodes.
   */
  private static Object userAsBytes(Object message) {
    List<Object> t = WireValues.sequence(message, "message");
    if (!TpcBegin.METHOD.equals(t.get(2))) {
      return message;
    }
    List<Object> args = new ArrayList<>(WireValues.sequence(t.get(3), "args"));
    for (int i = 1; i <= 2; i++) {
      if (args.get(i) instanceof String s) {
        args.set(i, Bytes.utf8(s));
      }
    }
    return Tuple.of(t.get(0), t.get(1), t.get(2), Tuple.copyOf(args));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void reEncodes(Frame f) {
    MessageCodec codec = f.codec();
    byte[] payload = f.payload();
    Message m = codec.decode(payload, 0, payload.length);
    byte[] again = codec.encodeToArray(m);
    if (f.fromClient()) {
      assertThat(codec.decode(again, 0, again.length)).isEqualTo(m);
    } else {
      assertThat(again).as("server frame re-encoded byte for byte").isEqualTo(payload);
    }
  }

  /**
   * Each reply, rebuilt from the typed result of the request it answers (as our server builds
   * replies), is byte for byte the Python server's reply; each error reply, turned into our
   * exception and back, likewise.
   */
  @Test
  void repliesRebuiltFromTypedResultsAreByteExact() {
    int checked = 0;
    for (String folder : List.of("pickle", "msgpack")) {
      for (String file : ZeoVectors.files(folder)) {
        Map<String, SyncRequest<?>> pending = new HashMap<>();
        for (Frame f : ZeoVectors.frames(file)) {
          if (!f.kind().equals("message")) {
            continue;
          }
          MessageCodec codec = f.codec();
          byte[] payload = f.payload();
          Message m = codec.decode(payload, 0, payload.length);
          switch (m) {
            case SyncRequest<?> r -> pending.put(f.conn() + "/" + r.msgid(), r);
            case Reply r -> {
              SyncRequest<?> request = pending.remove(f.conn() + "/" + r.msgid());
              assertThat(request).as("request of %s", f).isNotNull();
              assertThat(codec.encodeToArray(rebuild(request, r.value())))
                  .as("%s answering %s", f, request)
                  .isEqualTo(payload);
              checked++;
            }
            case ErrorReply e -> {
              assertThat(pending.remove(f.conn() + "/" + e.msgid())).isNotNull();
              assertThat(codec.encodeToArray(ErrorReply.of(e.msgid(), e.toException())))
                  .as("%s", f)
                  .isEqualTo(payload);
              checked++;
            }
            default -> {}
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(200);
  }

  private static <R> Reply rebuild(SyncRequest<R> request, Object value) {
    return request.reply(request.decodeResult(value));
  }

  private static int readLength(byte[] wire) {
    return ((wire[0] & 0xff) << 24)
        | ((wire[1] & 0xff) << 16)
        | ((wire[2] & 0xff) << 8)
        | (wire[3] & 0xff);
  }
}
