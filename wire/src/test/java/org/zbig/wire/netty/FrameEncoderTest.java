package org.zbig.wire.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.wire.Encoding;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.Role;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * Frames written through {@link MessageEncoder} and {@link FrameEncoder}: each is its 4-byte length
 * and the codec's bytes, small ones in one direct buffer, big ones not copied; every buffer handed
 * in is released.
 */
class FrameEncoderTest {
  private static final MessageCodec CODEC = new MessageCodec(Encoding.PICKLE, Role.SERVER);

  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new FrameEncoder(), new MessageEncoder(CODEC));
  }

  private static byte[] framed(byte[] payload) {
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }

  private static List<ByteBuf> outbound(EmbeddedChannel ch) {
    List<ByteBuf> out = new ArrayList<>();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      out.add((ByteBuf) o);
    }
    return out;
  }

  private static byte[] concat(List<ByteBuf> bufs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf b : bufs) {
      out.writeBytes(ByteBufUtil.getBytes(b));
      b.release();
    }
    return out.toByteArray();
  }

  /** Sizes on both sides of {@link FrameEncoder#COPY_BELOW}. */
  @ParameterizedTest
  @ValueSource(ints = {0, 100, (64 << 10) - 200, 64 << 10, 2 << 20})
  void aReplyIsItsLengthAndItsBytes(int dataSize) {
    byte[] data = new byte[dataSize];
    Arrays.fill(data, (byte) 7);
    Message reply =
        new LoadBefore(MsgId.of(5), new Oid(1), Tid.MAX)
            .reply(Optional.of(new LoadResult(Bytes.wrap(data), new Tid(3), null)));
    byte[] expected = framed(CODEC.encodeToArray(reply));
    EmbeddedChannel ch = channel();
    ch.writeOutbound(reply);
    List<ByteBuf> out = outbound(ch);
    if (expected.length - 4 < FrameEncoder.COPY_BELOW) {
      assertThat(out).as("one direct buffer").hasSize(1);
      assertThat(out.getFirst().isDirect()).isTrue();
    } else {
      assertThat(out).as("the prefix, then the payload").hasSize(2);
    }
    assertThat(concat(out)).isEqualTo(expected);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 10, 64 << 10, 1 << 20})
  void aRawBufferIsPrefixedAndReleased(int size) {
    byte[] payload = new byte[size];
    Arrays.fill(payload, (byte) 3);
    ByteBuf in = Unpooled.buffer(size).writeBytes(payload); // not the shared empty buffer
    EmbeddedChannel ch = channel();
    ch.writeOutbound(in);
    assertThat(concat(outbound(ch))).isEqualTo(framed(payload));
    assertThat(in.refCnt()).as("released once written").isZero();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
