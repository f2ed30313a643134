package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.zodb.error.ProtocolException;

/**
 * Decodes each frame from {@link FrameDecoder} into a {@link org.zbig.wire.Message}, and each
 * steered frame into a {@link Steered} (the message of its other bytes, with its target). A frame
 * that is not a message fires a {@link ProtocolException} and is dropped; what follows is still
 * decoded, since framing is intact (the connection handler decides whether to close).
 */
public final class MessageDecoder extends ChannelInboundHandlerAdapter {
  private final MessageCodec codec;

  /** A decoder using {@code codec}. */
  public MessageDecoder(MessageCodec codec) {
    this.codec = codec;
  }

  /** The codec. */
  public MessageCodec codec() {
    return codec;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FrameDecoder.SteeredFrame s) {
      Message m;
      try {
        m = decode(s.rest());
      } catch (ProtocolException e) {
        ctx.fireExceptionCaught(e);
        return;
      } finally {
        s.rest().release();
      }
      ctx.fireChannelRead(new Steered(m, s.target()));
      return;
    }
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Message m;
    try {
      m = decode(frame);
    } catch (ProtocolException e) {
      ctx.fireExceptionCaught(e);
      return;
    } finally {
      frame.release();
    }
    ctx.fireChannelRead(m);
  }

  private Message decode(ByteBuf frame) {
    int n = frame.readableBytes();
    if (frame.hasArray()) {
      return codec.decode(frame.array(), frame.arrayOffset() + frame.readerIndex(), n);
    }
    byte[] copy = new byte[n];
    frame.getBytes(frame.readerIndex(), copy);
    return codec.decode(copy, 0, n);
  }
}
