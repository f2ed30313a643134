package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.zodb.error.ProtocolException;

/**
 * Encodes each written {@link Message} into a frame payload (the length prefix is added by the
 * {@code LengthFieldPrepender} in front of it). The payload is a composite over the encoder's
 * pieces, so large byte strings are not copied. Anything else written passes through unchanged. A
 * message that cannot be encoded fails its write promise with a {@link ProtocolException}.
 */
public final class MessageEncoder extends ChannelOutboundHandlerAdapter {
  private final MessageCodec codec;

  /** An encoder using {@code codec}. */
  public MessageEncoder(MessageCodec codec) {
    this.codec = codec;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof Message m)) {
      ctx.write(msg, promise);
      return;
    }
    ByteBuf out;
    try {
      out = toByteBuf(codec.encode(m));
    } catch (ProtocolException e) {
      promise.setFailure(e);
      return;
    }
    ctx.write(out, promise);
  }

  /** Wraps encoded pieces into one buffer without copying them. */
  static ByteBuf toByteBuf(List<MemorySegment> pieces) {
    if (pieces.size() == 1) {
      return Unpooled.wrappedBuffer(pieces.getFirst().asByteBuffer());
    }
    ByteBuffer[] buffers = new ByteBuffer[pieces.size()];
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] = pieces.get(i).asByteBuffer();
    }
    return Unpooled.wrappedBuffer(buffers.length, buffers);
  }
}
