package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.zodb.error.ProtocolException;

/**
 * Encodes each written {@link Message} into a frame. Small messages are written with their length
 * prefixes one after the other into a batch: one direct buffer (the one copy the socket write
 * needs), handed on as one write when the channel is flushed, when it holds {@link #BATCH} bytes,
 * or before anything else is written; a bigger message is a composite over the encoder's pieces, so
 * large byte strings are not copied, and {@link FrameEncoder} puts the prefix in front of it.
 * Anything else written passes through unchanged, after the batch. A message that cannot be encoded
 * fails its write promise with a {@link ProtocolException}.
 *
 * <p>A batch starts small ({@link #FIRST}) and grows as messages are added: a message flushed on
 * its own, as in a request-reply exchange, takes a small buffer (a full-size one per flush cost the
 * commit mix of {@code zbig bench server} a tenth of its rate). The promises of batched messages
 * complete when their batch is written (a void promise costs nothing). Pipelined small replies were
 * one buffer, one outbound entry and one promise each: a profile of 16 connections loading small
 * records had the buffer allocation at 7% of the server's time and Netty's per-write bookkeeping at
 * 4%, and the socket write gathering up to 64 buffers.
 */
public final class MessageEncoder extends ChannelOutboundHandlerAdapter {
  /** A batch is handed on once it holds this many bytes. */
  static final int BATCH = 64 << 10;

  /** A batch's first capacity; it grows (to at most {@link #BATCH}) as messages are added. */
  static final int FIRST = 2 << 10;

  private final MessageCodec codec;
  private ByteBuf batch;
  private final List<ChannelPromise> batched = new ArrayList<>();

  /** An encoder using {@code codec}. */
  public MessageEncoder(MessageCodec codec) {
    this.codec = codec;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof Message m)) {
      writeBatch(ctx);
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
      int n = 4 + (int) size;
      if (batch != null && batch.maxWritableBytes() < n) {
        writeBatch(ctx);
      }
      if (batch == null) {
        batch = ctx.alloc().ioBuffer(Math.max(FIRST, n), Math.max(BATCH, n));
      }
      batch.writeInt((int) size);
      for (MemorySegment p : pieces) {
        batch.writeBytes(p.asByteBuffer());
      }
      if (!promise.isVoid()) {
        batched.add(promise);
      }
      if (batch.readableBytes() >= BATCH) {
        writeBatch(ctx);
      }
      return;
    }
    writeBatch(ctx);
    ctx.write(toByteBuf(ctx, pieces), promise);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    writeBatch(ctx);
    ctx.flush();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    discardBatch(new ClosedChannelException());
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    discardBatch(new ClosedChannelException());
  }

  /** Hands the batch on as one write whose outcome completes the batched messages' promises. */
  private void writeBatch(ChannelHandlerContext ctx) {
    ByteBuf b = batch;
    if (b == null) {
      return;
    }
    batch = null;
    if (batched.isEmpty()) {
      ctx.write(new FrameEncoder.Framed(b), ctx.voidPromise());
      return;
    }
    ChannelPromise[] waiting = batched.toArray(ChannelPromise[]::new);
    batched.clear();
    ChannelFutureListener complete =
        f -> {
          for (ChannelPromise p : waiting) {
            if (f.isSuccess()) {
              p.trySuccess();
            } else {
              p.tryFailure(f.cause());
            }
          }
        };
    ctx.write(new FrameEncoder.Framed(b)).addListener(complete);
  }

  /** Drops a batch not handed on (the channel closes), failing its messages' promises. */
  private void discardBatch(Throwable why) {
    if (batch != null) {
      batch.release();
      batch = null;
    }
    for (ChannelPromise p : batched) {
      p.tryFailure(why);
    }
    batched.clear();
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
