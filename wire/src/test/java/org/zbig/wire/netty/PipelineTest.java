package org.zbig.wire.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.function.Predicate;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zbig.wire.Encoding;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.Role;
import org.zbig.wire.vectors.ZeoVectors;
import org.zbig.wire.vectors.ZeoVectors.Frame;
import org.zbig.zodb.error.ProtocolException;

/** The wire handlers in {@link EmbeddedChannel}s, fed with recorded exchanges. */
class PipelineTest {
  static final int MAX = 1 << 20;

  static List<String> scenarios() {
    return ZeoVectors.all()
        .filter(f -> f.kind().equals("message"))
        .map(Frame::file)
        .distinct()
        .toList();
  }

  static EmbeddedChannel server(Encoding offer, Capture capture) {
    return new EmbeddedChannel(
        new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            WirePipeline.server(ch.pipeline(), offer, MAX);
            ch.pipeline().addLast(capture);
          }
        });
  }

  static EmbeddedChannel client(Capture capture) {
    return new EmbeddedChannel(
        new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            WirePipeline.client(ch.pipeline(), MAX);
            ch.pipeline().addLast(capture);
          }
        });
  }

  static byte[] concat(List<Frame> frames, Predicate<Frame> which) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    frames.stream().filter(which).forEach(f -> out.writeBytes(f.wire()));
    return out.toByteArray();
  }

  static List<Message> decodeEach(List<Frame> frames, Role role) {
    return frames.stream()
        .filter(f -> f.kind().equals("message"))
        .map(f -> {
          byte[] p = f.payload();
          return new MessageCodec(f.encoding(), role).decode(p, 0, p.length);
        })
        .toList();
  }

  /**
   * A server pipeline sends the recorded offer, accepts the client's recorded bytes (handshake and
   * messages in one read), and writes our replies as the recorded server bytes.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void serverSideOfARecordedConnection(String file) {
    List<Frame> all = ZeoVectors.frames(file);
    List<Frame> frames = all.stream().filter(f -> f.conn() == 1).toList();
    Encoding encoding = frames.getFirst().encoding();
    Capture capture = new Capture();
    EmbeddedChannel ch = server(encoding, capture);
    Frame offer = frames.getFirst();
    assertThat(Capture.written(ch)).isEqualTo(offer.wire());

    ch.writeInbound(Unpooled.wrappedBuffer(concat(frames, Frame::fromClient)));
    assertThat(capture.errors).isEmpty();
    assertThat(capture.events).containsExactly(new HandshakeEvent.Completed(encoding));
    List<Frame> fromClient = frames.stream().filter(Frame::fromClient).toList();
    assertThat(capture.messages).isEqualTo(decodeEach(fromClient, Role.SERVER));

    List<Frame> toClient =
        frames.stream().filter(f -> !f.fromClient() && f.kind().equals("message")).toList();
    for (Message m : decodeEach(toClient, Role.CLIENT)) {
      ch.writeOutbound(m);
    }
    assertThat(Capture.written(ch)).isEqualTo(concat(toClient, f -> true));
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /** A client pipeline answers the recorded offer and decodes the recorded server bytes. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void clientSideOfARecordedConnection(String file) {
    List<Frame> frames = ZeoVectors.frames(file).stream().filter(f -> f.conn() == 1).toList();
    Capture capture = new Capture();
    EmbeddedChannel ch = client(capture);
    ch.writeInbound(Unpooled.wrappedBuffer(concat(frames, f -> !f.fromClient())));
    assertThat(capture.errors).isEmpty();
    Frame answer =
        frames.stream()
            .filter(f -> f.fromClient() && f.kind().equals("handshake"))
            .findFirst()
            .orElseThrow();
    assertThat(Capture.written(ch)).isEqualTo(answer.wire());
    List<Frame> toClient = frames.stream().filter(f -> !f.fromClient()).toList();
    assertThat(capture.messages).isEqualTo(decodeEach(toClient, Role.CLIENT));
    ch.finishAndReleaseAll();
  }

  @Test
  void ruokProbeIsAnEvent() {
    Capture capture = new Capture();
    EmbeddedChannel ch = server(Encoding.PICKLE, capture);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 4, 'r', 'u', 'o', 'k'}));
    assertThat(capture.events).containsExactly(new HandshakeEvent.Ruok());
    ch.finishAndReleaseAll();
  }

  @Test
  void serverRefusesAnOldProtocol() {
    Capture capture = new Capture();
    EmbeddedChannel ch = server(Encoding.MSGPACK, capture);
    Capture.written(ch);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 2, 'Z', '4'}));
    assertThat(capture.errors)
        .singleElement(InstanceOfAssertFactories.THROWABLE)
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bad handshake: 'Z4'");
    assertThat(capture.events).isEmpty();
    assertThat(Capture.written(ch)).isEmpty();
    ch.finishAndReleaseAll();
  }

  @Test
  void clientRefusesAnOldServerAndAnswersANewerOneWithVersion5() {
    Capture capture = new Capture();
    EmbeddedChannel ch = client(capture);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 2, 'Z', '4'}));
    assertThat(capture.errors)
        .singleElement(InstanceOfAssertFactories.THROWABLE)
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("server protocol: 'Z4'");
    assertThat(Capture.written(ch)).isEmpty();
    ch.finishAndReleaseAll();

    Capture c2 = new Capture();
    EmbeddedChannel ch2 = client(c2);
    ch2.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 2, 'M', '6'}));
    assertThat(Capture.written(ch2)).containsExactly(0, 0, 0, 2, 'M', '5');
    assertThat(c2.events).containsExactly(new HandshakeEvent.Completed(Encoding.MSGPACK));
    ch2.finishAndReleaseAll();
  }

  @Test
  void frameOverTheLimitIsRefusedBeforeAllocationAndTheRestDiscarded() {
    Capture capture = new Capture();
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024), capture);
    ch.writeInbound(
        Unpooled.wrappedBuffer(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
    assertThat(capture.errors)
        .singleElement(InstanceOfAssertFactories.THROWABLE)
        .isInstanceOf(ProtocolException.class)
        .hasMessage("frame length: 2147483647 (expected: <= 1024)");
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 1, 'x'}));
    assertThat(capture.messages).isEmpty();
    assertThat(capture.errors).hasSize(1);
    ch.finishAndReleaseAll();
  }

  @Test
  void aDecoderTrustingLengthsCopiesBigFramesAsTheyArriveAndGivesTheReadsBack() {
    long seed = System.nanoTime();
    java.util.Random random = new java.util.Random(seed);
    // big and small frames, one stream, cut at random: both decoders see the same payloads
    java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
    List<byte[]> sent = new java.util.ArrayList<>();
    // 190,000 after 200,000: into the spare array the first one left, bigger than the frame
    for (int size : new int[] {200_000, 3, 190_000, FrameDecoder.EAGER_MIN, 0, 70_000, 1}) {
      byte[] payload = new byte[size];
      random.nextBytes(payload);
      sent.add(payload);
      stream.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(size).array());
      stream.writeBytes(payload);
    }
    byte[] bytes = stream.toByteArray();
    for (boolean trust : new boolean[] {false, true}) {
      Capture capture = new Capture();
      EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1 << 20, trust), capture);
      for (int from = 0; from < bytes.length; ) {
        int to = Math.min(bytes.length, from + 1 + random.nextInt(40_000));
        ch.writeInbound(Unpooled.wrappedBuffer(java.util.Arrays.copyOfRange(bytes, from, to)));
        from = to;
      }
      assertThat(capture.errors).isEmpty();
      assertThat(capture.messages)
          .as("trust %s, seed %d", trust, seed)
          .usingRecursiveFieldByFieldElementComparator()
          .containsExactlyElementsOf(sent);
      ch.finishAndReleaseAll();
    }
    // half of a big frame: held by the default decoder, copied and given back by the other
    for (boolean trust : new boolean[] {false, true}) {
      FrameDecoder decoder = new FrameDecoder(1 << 20, trust);
      EmbeddedChannel ch = new EmbeddedChannel(decoder, new Capture());
      io.netty.buffer.ByteBuf half = Unpooled.wrappedBuffer(bytes, 0, 100_004);
      ch.writeInbound(half);
      assertThat(half.refCnt()).as("trust " + trust).isEqualTo(trust ? 0 : 1);
      assertThat(decoder.pendingBytes()).isEqualTo(100_000);
      ch.close();
      assertThat(decoder.pendingBytes()).isZero();
      assertThat(half.refCnt()).isZero();
    }
  }

  @Test
  void truncatedFrameWaitsAndIsReleasedOnClose() {
    Capture capture = new Capture();
    FrameDecoder decoder = new FrameDecoder(1024);
    EmbeddedChannel ch = new EmbeddedChannel(decoder, capture);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 100, 1, 2, 3}));
    assertThat(capture.messages).isEmpty();
    assertThat(decoder.pendingBytes()).isEqualTo(3);
    ch.close();
    assertThat(decoder.pendingBytes()).isZero();
    assertThat(capture.errors).isEmpty();
  }
}
