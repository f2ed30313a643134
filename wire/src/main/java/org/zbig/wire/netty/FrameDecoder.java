package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.zbig.zodb.error.ProtocolException;

/**
 * Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes (protocol
 * docs/protocol.md §1.2). Emits each payload as a heap {@link ByteBuf} over an array of its size
 * (of up to an eighth more for a decoder that trusts lengths, see below).
 *
 * <p>The length is checked against the maximum before anything is allocated, and the payload array
 * is allocated only once all of it has arrived, so memory grows with the bytes received, not with
 * the length announced. Received buffers are collected without copying; each payload byte is copied
 * once, into its array. A decoder made to trust the lengths it reads (a client's: its peer is the
 * server it chose) allocates the array of a big frame as soon as the length is known instead, and
 * copies each received buffer into it as it arrives: the copy overlaps the transfer, and the
 * receive buffers go back to the allocator at once instead of being held (and new ones allocated)
 * for the whole frame. It also makes the array for the next big frame as soon as one is handed on
 * (the size of the last, used if the next is at most an eighth smaller), so that zeroing it is not
 * part of the wait for a reply that comes alone. A length over the limit fires a {@link
 * ProtocolException} that names the length and the limit; after it every further byte is discarded,
 * since the stream can no longer be split (the connection handler closes it).
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter {
  /** A default limit on frames: far above any record ZODB applications write. */
  public static final int DEFAULT_MAX_FRAME = 256 << 20;

  private enum State {
    READ_HEADER,
    READ_BODY,
    FAILED
  }

  /** Frames from this size on are copied as they arrive by a decoder that trusts lengths. */
  static final int EAGER_MIN = 64 << 10;

  private final int maxFrame;
  private final boolean trustLengths;
  private CompositeByteBuf cumulation;
  private State state = State.READ_HEADER;
  private int length;
  private byte[] body; // the payload of a big frame being copied as it arrives, or null
  private int filled; // bytes of body received
  private byte[] spare; // an array for the next big frame, made after the last one, or null

  /**
   * An array for a big frame of {@code n} bytes: the spare if it fits (at most an eighth bigger),
   * else a new one.
   */
  private byte[] takeSpare(int n) {
    byte[] a = spare;
    spare = null;
    return a != null && a.length >= n && a.length - n <= n / 8 ? a : new byte[n];
  }

  /**
   * A decoder.
   *
   * @param maxFrame the largest payload accepted, in bytes
   */
  public FrameDecoder(int maxFrame) {
    this(maxFrame, false);
  }

  /**
   * A decoder.
   *
   * @param maxFrame the largest payload accepted, in bytes
   * @param trustLengths allocate a big frame's array when its length is read (see above): for a
   *     peer whose lengths are trusted, never for a server's clients
   */
  public FrameDecoder(int maxFrame, boolean trustLengths) {
    if (maxFrame < 4) {
      throw new IllegalArgumentException("max frame: " + maxFrame + " (expected: >= 4)");
    }
    this.maxFrame = maxFrame;
    this.trustLengths = trustLengths;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (state == State.FAILED) {
      in.release();
      return;
    }
    if (cumulation == null) {
      cumulation = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
    }
    cumulation.addComponent(true, in);
    try {
      decode(ctx);
    } catch (ProtocolException e) {
      state = State.FAILED;
      release();
      ctx.fireExceptionCaught(e);
    }
  }

  private void decode(ChannelHandlerContext ctx) {
    for (; ; ) {
      switch (state) {
        case READ_HEADER -> {
          if (cumulation.readableBytes() < 4) {
            return;
          }
          long n = cumulation.readUnsignedInt();
          if (n > maxFrame) {
            throw new ProtocolException("frame length: " + n + " (expected: <= " + maxFrame + ")");
          }
          length = (int) n;
          state = State.READ_BODY;
          if (trustLengths && length >= EAGER_MIN) {
            body = takeSpare(length);
            filled = 0;
          }
        }
        case READ_BODY -> {
          byte[] payload;
          if (body != null) {
            int take = Math.min(cumulation.readableBytes(), length - filled);
            cumulation.readBytes(body, filled, take);
            filled += take;
            cumulation.discardReadComponents();
            if (filled < length) {
              return;
            }
            payload = body;
            body = null;
          } else {
            if (cumulation.readableBytes() < length) {
              return;
            }
            payload = new byte[length];
            cumulation.readBytes(payload);
            cumulation.discardReadComponents();
          }
          state = State.READ_HEADER;
          ctx.fireChannelRead(Unpooled.wrappedBuffer(payload, 0, length));
          if (cumulation == null) {
            return; // removed from the pipeline while the frame was handled
          }
          if (payload.length >= EAGER_MIN && trustLengths) {
            // the next big frame's array, zeroed now rather than once its length is read: a reply
            // waited for alone (a page fault) then arrives into memory that is ready
            spare = new byte[payload.length];
          }
        }
        case FAILED -> {
          return;
        }
      }
    }
  }

  /** Bytes received that do not yet make a whole frame. */
  public int pendingBytes() {
    return (cumulation == null ? 0 : cumulation.readableBytes()) + (body == null ? 0 : filled);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (cumulation != null && cumulation.isReadable() && state != State.FAILED) {
      ByteBuf rest = cumulation.retainedSlice();
      release();
      ctx.fireChannelRead(rest);
    } else {
      release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    release();
    ctx.fireChannelInactive();
  }

  private void release() {
    body = null;
    spare = null;
    if (cumulation != null) {
      cumulation.release();
      cumulation = null;
    }
  }
}
