package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
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
 * Encodes each written {@link Message} into a frame. A small message is written with its length
 * prefix into one direct buffer (the one copy the socket write needs); a bigger one is a composite
 * over the encoder's pieces, so large byte strings are not copied, and {@link FrameEncoder} puts
 * the prefix in front of it. Anything else written passes through unchanged. A message that cannot
 * be encoded fails its write promise with a {@link ProtocolException}.
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
    List<MemorySegment> pieces;
    try {
      pieces = codec.encode(m);
    } catch (ProtocolException e) {
      promise.setFailure(e);
      return;
    }
    long size = 0;
    for (MemorySegment p : pieces) {
      size += p.byteSize();
    }
    if (size < FrameEncoder.COPY_BELOW) {
      ByteBuf out = ctx.alloc().ioBuffer(4 + (int) size);
      out.writeInt((int) size);
      for (MemorySegment p : pieces) {
        out.writeBytes(p.asByteBuffer());
      }
      ctx.write(new FrameEncoder.Framed(out), promise);
      return;
    }
    ctx.write(toByteBuf(ctx, pieces), promise);
  }

  /**
   * Wraps encoded pieces into one buffer without copying them. When a big piece lives in native
   * memory (a record read straight into a direct buffer), the small heap pieces around it are
   * copied into direct buffers, so that the whole payload is direct and Netty hands it to the
   * socket as it is instead of copying all of it into a fresh direct buffer.
   */
  static ByteBuf toByteBuf(ChannelHandlerContext ctx, List<MemorySegment> pieces) {
    boolean bigNative = false;
    for (MemorySegment p : pieces) {
      bigNative |= p.isNative() && p.byteSize() >= BIG_NATIVE;
    }
    if (!bigNative) {
      return toByteBuf(pieces);
    }
    CompositeByteBuf out = ctx.alloc().compositeDirectBuffer(pieces.size());
    try {
      for (MemorySegment p : pieces) {
        if (p.isNative()) {
          out.addComponent(true, Unpooled.wrappedBuffer(p.asByteBuffer()));
        } else {
          ByteBuf d = ctx.alloc().directBuffer((int) p.byteSize());
          d.writeBytes(p.asByteBuffer());
          out.addComponent(true, d);
        }
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /** Native pieces from this size on make the whole payload direct. */
  static final int BIG_NATIVE = 64 << 10;

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
