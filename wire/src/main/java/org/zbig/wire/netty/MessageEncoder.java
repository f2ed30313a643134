package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.lang.foreign.MemorySegment;
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
 * or before anything else is written. A bigger message whose bulk lies in native memory (a record
 * read straight into a direct buffer) is a composite over the encoder's pieces, so that bulk is not
 * copied; any other bigger message is copied into pooled direct buffers of {@link #CHUNK} bytes,
 * the one copy the socket write of heap bytes makes anyway (see {@link #toByteBuf}). {@link
 * FrameEncoder} puts the prefix in front of it. Anything else written passes through unchanged,
 * after the batch. A message that cannot be encoded fails its write promise with a {@link
 * ProtocolException}.
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
   * The payload of a big message as one direct buffer, which the socket writes as it is. When a big
   * piece lives in native memory (a record read straight into a direct buffer), the pieces are
   * wrapped without copying it, the small heap pieces around it copied into direct buffers. Else
   * all the pieces are copied into pooled direct buffers of {@link #CHUNK} bytes (see {@link
   * #copied}).
   */
  static ByteBuf toByteBuf(ChannelHandlerContext ctx, List<MemorySegment> pieces) {
    boolean bigNative = false;
    for (MemorySegment p : pieces) {
      bigNative |= p.isNative() && p.byteSize() >= BIG_NATIVE;
    }
    if (!bigNative) {
      return copied(pieces);
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

  /** The size of the pooled direct buffers a big heap message is copied into. */
  static final int CHUNK = 32 << 10;

  /**
   * {@code pieces} copied, in order, into a composite of direct buffers of {@link #CHUNK} bytes
   * from {@link PooledByteBufAllocator#DEFAULT}, which keeps buffers of that size in a cache per
   * thread. The socket would otherwise copy a composite of the heap pieces into a fresh direct
   * buffer of the whole size, which the channel's allocator does not pool at that size: its memory
   * was allocated, faulted in page by page and freed for every message. A CPU profile of ZBlk1
   * block reads (a reply of 512 records of 4 KiB, 2,600 pieces) had that buffer, its page faults
   * and the composite of 2,600 components at 60% of the server's time for a reply.
   */
  static ByteBuf copied(List<MemorySegment> pieces) {
    ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    long size = 0;
    for (MemorySegment p : pieces) {
      size += p.byteSize();
    }
    int chunks = (int) ((size + CHUNK - 1) / CHUNK);
    CompositeByteBuf out = alloc.compositeDirectBuffer(Math.max(2, chunks));
    ByteBuf chunk = null;
    try {
      long left = size;
      for (MemorySegment p : pieces) {
        long at = 0;
        long n = p.byteSize();
        while (at < n) {
          if (chunk == null) {
            int c = (int) Math.min(CHUNK, left);
            chunk = alloc.directBuffer(c, c);
          }
          int take = (int) Math.min(n - at, chunk.writableBytes());
          chunk.writeBytes(p.asSlice(at, take).asByteBuffer());
          at += take;
          left -= take;
          if (!chunk.isWritable()) {
            out.addComponent(true, chunk);
            chunk = null;
          }
        }
      }
      return out;
    } catch (RuntimeException e) {
      if (chunk != null) {
        chunk.release();
      }
      out.release();
      throw e;
    }
  }

  /** Native pieces from this size on make the whole payload direct. */
  static final int BIG_NATIVE = 64 << 10;
}
