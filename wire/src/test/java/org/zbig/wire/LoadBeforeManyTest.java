package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.LoadResult;

/**
 * The project's calls for many loads at once ({@code zbigLoadBeforeMany}, {@code
 * zbigLoadBeforeTree}), in both encodings, as client and server see them.
 */
class LoadBeforeManyTest {
  private static Message roundTrip(Message m, Encoding encoding, Role from, Role to) {
    byte[] frame = new MessageCodec(encoding, from).encodeToArray(m);
    return new MessageCodec(encoding, to).decode(frame, 0, frame.length);
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aRequestReachesTheServerAsSentAndItsReplyTheClient(Encoding encoding) {
    LoadBeforeMany request =
        new LoadBeforeMany(MsgId.of(7), List.of(new Oid(1), new Oid(9), Oid.ROOT), new Tid(40));
    assertThat(roundTrip(request, encoding, Role.CLIENT, Role.SERVER)).isEqualTo(request);

    LoadResult one = new LoadResult(Bytes.wrap(new byte[] {1, 2, 3}), new Tid(5), null);
    LoadResult old = new LoadResult(Bytes.wrap(new byte[600]), new Tid(3), new Tid(8));
    List<Optional<LoadResult>> result =
        List.of(Optional.of(one), Optional.empty(), Optional.of(old));
    Reply reply = new Reply(MsgId.of(7), request.encodeResult(result));
    Reply received = (Reply) roundTrip(reply, encoding, Role.SERVER, Role.CLIENT);
    assertThat(request.decodeResult(received.value())).isEqualTo(result);
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aReplyMayStopEarlyButNotBeEmptyNorLongerThanTheRequest(Encoding encoding) {
    LoadBeforeMany request =
        new LoadBeforeMany(MsgId.of(7), List.of(new Oid(1), new Oid(2)), new Tid(40));
    LoadResult r = new LoadResult(Bytes.wrap(new byte[] {1}), new Tid(5), null);
    assertThat(request.decodeResult(request.encodeResult(List.of(Optional.of(r)))))
        .containsExactly(Optional.of(r));
    assertThatThrownBy(() -> request.decodeResult(List.of()))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("0 entries")
        .hasMessageContaining("1 to 2 entries");
    Object three = request.encodeResult(List.of(Optional.of(r), Optional.of(r), Optional.empty()));
    assertThatThrownBy(() -> request.decodeResult(three))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("3 entries");
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aServerRefusesNoOidsOrTooManyNamingTheCount(Encoding encoding) {
    MessageCodec client = new MessageCodec(encoding, Role.CLIENT);
    MessageCodec server = new MessageCodec(encoding, Role.SERVER);
    for (int n : new int[] {0, LoadBeforeMany.MAX_OIDS + 1}) {
      List<Object> oids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        oids.add(WireValues.bytes(new Oid(i)));
      }
      // as a hostile client would send it: the request's own checks are not in its way
      byte[] frame =
          client.encodeValueToArray(
              Tuple.of(
                  8L, false, LoadBeforeMany.METHOD, Tuple.of(oids, WireValues.bytes(new Tid(9)))));
      assertThatThrownBy(() -> server.decode(frame, 0, frame.length))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining(LoadBeforeMany.METHOD)
          .hasMessageContaining(n + " oids")
          .hasMessageContaining("1 to " + LoadBeforeMany.MAX_OIDS);
    }
    assertThatThrownBy(() -> new LoadBeforeMany(MsgId.of(1), List.of(), Tid.MAX))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 (expected: 1 to " + LoadBeforeMany.MAX_OIDS + ")");
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aTreeRequestReachesTheServerAsSentAndItsReplyTheClient(Encoding encoding) {
    LoadBeforeTree request = new LoadBeforeTree(MsgId.of(7), new Oid(3), new Tid(40), 2);
    assertThat(roundTrip(request, encoding, Role.CLIENT, Role.SERVER)).isEqualTo(request);

    List<LoadBeforeTree.Found> result =
        List.of(
            new LoadBeforeTree.Found(
                new Oid(3), new LoadResult(Bytes.wrap(new byte[] {1, 2}), new Tid(5), null)),
            new LoadBeforeTree.Found(
                new Oid(9), new LoadResult(Bytes.wrap(new byte[600]), new Tid(3), new Tid(8))));
    Reply reply = new Reply(MsgId.of(7), request.encodeResult(result));
    Reply received = (Reply) roundTrip(reply, encoding, Role.SERVER, Role.CLIENT);
    assertThat(request.decodeResult(received.value())).isEqualTo(result);
    assertThat(request.decodeResult(request.encodeResult(List.of()))).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aServerRefusesADepthOutOfRangeNamingIt(Encoding encoding) {
    MessageCodec client = new MessageCodec(encoding, Role.CLIENT);
    MessageCodec server = new MessageCodec(encoding, Role.SERVER);
    for (long depth : new long[] {-1, LoadBeforeTree.MAX_DEPTH + 1}) {
      // as a hostile client would send it: the request's own checks are not in its way
      byte[] frame =
          client.encodeValueToArray(
              Tuple.of(
                  8L,
                  false,
                  LoadBeforeTree.METHOD,
                  Tuple.of(WireValues.bytes(new Oid(1)), WireValues.bytes(new Tid(9)), depth)));
      assertThatThrownBy(() -> server.decode(frame, 0, frame.length))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining(LoadBeforeTree.METHOD + " argument 3 (depth)")
          .hasMessageContaining(String.valueOf(depth))
          .hasMessageContaining("0 to " + LoadBeforeTree.MAX_DEPTH);
    }
    assertThatThrownBy(() -> new LoadBeforeTree(MsgId.of(1), new Oid(1), Tid.MAX, 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("depth: 9 (expected: 0 to " + LoadBeforeTree.MAX_DEPTH + ")");
  }

  @Test
  void aClientRefusesAMalformedEntryNamingIt() {
    LoadBeforeTree request = new LoadBeforeTree(MsgId.of(7), new Oid(3), new Tid(40), 1);
    Object bad = List.of(Tuple.of(WireValues.bytes(new Oid(3)), Bytes.utf8("x")));
    assertThatThrownBy(() -> request.decodeResult(bad))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining(LoadBeforeTree.METHOD + " entry")
        .hasMessageContaining("a sequence of 4 items");
  }
}
