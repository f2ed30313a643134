package org.zbig.wire.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.wire.Encoding;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.LoadBeforeTree;
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
 * and the codec's bytes, small ones batched into one direct buffer until the flush, big ones not
 * copied, all in the order written; every buffer handed in is released.
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
      assertThat(out.get(1).isDirect()).as("what the socket writes as it is").isTrue();
    }
    assertThat(concat(out)).isEqualTo(expected);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /**
   * A big reply of many small heap pieces (a ZBlk1 block's 512 records of 4 KiB, each with its oid
   * and tids) goes out as the codec's bytes in direct buffers of {@link MessageEncoder#CHUNK} bytes
   * (the last one shorter), not one buffer per piece.
   */
  @ParameterizedTest
  @ValueSource(ints = {17, 512})
  void aBigReplyOfManyPiecesIsCopiedIntoFewDirectBuffers(int records) {
    List<LoadBeforeTree.Found> found = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      byte[] data = new byte[4096 + i % 7];
      Arrays.fill(data, (byte) i);
      found.add(
          new LoadBeforeTree.Found(
              new Oid(100 + i), new LoadResult(Bytes.wrap(data), new Tid(3 + i), null)));
    }
    Message reply = new LoadBeforeTree(MsgId.of(9), new Oid(100), Tid.MAX, 2).reply(found);
    byte[] expected = framed(CODEC.encodeToArray(reply));
    EmbeddedChannel ch = channel();
    ch.writeOutbound(reply);
    List<ByteBuf> out = outbound(ch);
    assertThat(out).as("the prefix, then the payload").hasSize(2);
    ByteBuf payload = out.get(1);
    assertThat(payload.isDirect()).isTrue();
    int size = expected.length - 4;
    assertThat(payload.nioBufferCount())
        .as("buffers for %d bytes", size)
        .isEqualTo((size + MessageEncoder.CHUNK - 1) / MessageEncoder.CHUNK);
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

  private static Message reply(int msgid, int dataSize) {
    byte[] data = new byte[dataSize];
    Arrays.fill(data, (byte) msgid);
    return new LoadBefore(MsgId.of(msgid), new Oid(msgid), Tid.MAX)
        .reply(Optional.of(new LoadResult(Bytes.wrap(data), new Tid(3), null)));
  }

  @Test
  void smallRepliesWaitForTheFlushAndGoOutAsOneBufferInOrder() {
    EmbeddedChannel ch = channel();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    List<ChannelFuture> written = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Message m = reply(i, 10 * i);
      expected.writeBytes(framed(CODEC.encodeToArray(m)));
      written.add(ch.write(m));
    }
    ch.write(reply(4, 20), ch.voidPromise());
    expected.writeBytes(framed(CODEC.encodeToArray(reply(4, 20))));
    assertThat(outbound(ch)).as("nothing before the flush").isEmpty();
    assertThat(written).noneMatch(ChannelFuture::isDone);
    ch.flush();
    List<ByteBuf> out = outbound(ch);
    assertThat(out).as("one buffer").hasSize(1);
    assertThat(concat(out)).isEqualTo(expected.toByteArray());
    assertThat(written).allMatch(ChannelFuture::isSuccess);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aBigReplyOrARawBufferGoesOutAfterTheSmallOnesBeforeIt() {
    EmbeddedChannel ch = channel();
    Message small = reply(1, 10);
    Message big = reply(2, 1 << 20);
    Message last = reply(3, 10);
    byte[] raw = {9, 9, 9};
    ch.write(small);
    ch.write(big);
    ch.write(Unpooled.buffer(3).writeBytes(raw));
    ch.write(last);
    ch.flush();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(framed(CODEC.encodeToArray(small)));
    expected.writeBytes(framed(CODEC.encodeToArray(big)));
    expected.writeBytes(framed(raw));
    expected.writeBytes(framed(CODEC.encodeToArray(last)));
    assertThat(concat(outbound(ch))).isEqualTo(expected.toByteArray());
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aLoneSmallMessageTakesASmallBuffer() {
    // a request-reply exchange flushes after every message: a full-size batch each time cost the
    // commit mix a tenth of its rate (the allocator does not cache buffers that big per thread)
    EmbeddedChannel ch = channel();
    ch.writeAndFlush(reply(1, 100));
    List<ByteBuf> out = outbound(ch);
    assertThat(out).hasSize(1);
    assertThat(out.getFirst().capacity()).isLessThanOrEqualTo(MessageEncoder.FIRST);
    out.getFirst().release();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aFullBatchIsHandedOnWithoutAFlush() {
    EmbeddedChannel ch = channel();
    Message m = reply(1, 1000);
    int frame = framed(CODEC.encodeToArray(m)).length;
    int n = MessageEncoder.BATCH / frame + 2;
    for (int i = 0; i < n; i++) {
      ch.write(m);
    }
    // EmbeddedChannel keeps written buffers until flushed: the batch is one of them
    ch.flush();
    List<ByteBuf> out = outbound(ch);
    assertThat(out).as("a full batch, then the rest").hasSize(2);
    assertThat(out.getFirst().readableBytes())
        .as("as many frames as fit")
        .isBetween(MessageEncoder.BATCH - frame + 1, MessageEncoder.BATCH);
    assertThat(concat(out)).hasSize(n * frame);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void closingDropsAnUnflushedBatchAndFailsItsWrites() {
    EmbeddedChannel ch = channel();
    ChannelFuture written = ch.write(reply(1, 10));
    ch.close();
    assertThat(written.isDone()).isTrue();
    assertThat(written.cause()).isInstanceOf(ClosedChannelException.class);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
