package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
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
 *
 * <p>Steering: a decoder that trusts lengths may be given a {@link Steering}, which sees the first
 * {@value #STEER_HEAD} bytes of each big frame and may name a range of the frame to put straight
 * into memory of its choice (a client puts a block's data into the page waiting for it). Those
 * bytes are then copied once, from the receive buffers into that memory, as they arrive; the
 * frame's other bytes, with the steering's patches written over them, go on as a {@link
 * SteeredFrame}. A target {@link Target#revoke revoked} meanwhile gets no further byte, and its
 * frame is dropped.
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter {
  /** A default limit on frames: far above any record ZODB applications write. */
  public static final int DEFAULT_MAX_FRAME = 256 << 20;

  private enum State {
    READ_HEADER,
    STEER_HEAD,
    READ_BODY,
    FAILED
  }

  /** Frames from this size on are copied as they arrive by a decoder that trusts lengths. */
  static final int EAGER_MIN = 64 << 10;

  /** The bytes of a big frame's start a {@link Steering} is shown (fewer of a shorter frame). */
  public static final int STEER_HEAD = 128;

  /** Chooses where part of a big frame goes; runs on the event loop. */
  @FunctionalInterface
  public interface Steering {
    /**
     * A target for part of the frame, or null to receive it whole as usual.
     *
     * @param head the frame's first bytes, {@value #STEER_HEAD} or all of a shorter frame; valid
     *     during the call only
     * @param length the frame's length
     */
    Target steer(ByteBuf head, int length);
  }

  /**
   * Bytes {@code [offset, offset + into.byteSize())} of a frame, to be put into {@code into}; the
   * others become a {@link SteeredFrame}, with {@code patches} written over them. Revoked (on the
   * event loop) when {@code into} must no longer be written: the rest of its range is then skipped
   * and the frame dropped.
   */
  public static final class Target {
    private final int offset;
    private final MemorySegment into;
    private final List<Patch> patches;
    private volatile boolean revoked;

    /**
     * A target.
     *
     * @param offset where the range starts in the frame
     * @param into where it goes, of the range's length; written on the event loop, so not memory
     *     confined to another thread
     * @param patches bytes written over the frame's other bytes, each before {@code offset}
     * @throws IllegalArgumentException if a patch is not before the range
     */
    public Target(int offset, MemorySegment into, List<Patch> patches) {
      this.offset = offset;
      this.into = Objects.requireNonNull(into, "into");
      this.patches = List.copyOf(patches);
      for (Patch p : this.patches) {
        if (p.offset() < 0 || p.offset() + p.bytes().length > offset) {
          throw new IllegalArgumentException(
              "patch at " + p.offset() + " (expected: before the range at " + offset + ")");
        }
      }
    }

    /** Where the range starts in the frame. */
    public int offset() {
      return offset;
    }

    /** The memory the range goes to. */
    public MemorySegment into() {
      return into;
    }

    /** From now on nothing more is written to {@link #into}, and the frame is dropped. */
    public void revoke() {
      revoked = true;
    }

    /** Whether {@link #revoke} was called. */
    public boolean revoked() {
      return revoked;
    }
  }

  /**
   * Bytes written over a steered frame's other bytes, at {@code offset} (an offset in the frame).
   *
   * @param offset where
   * @param bytes what
   */
  public record Patch(int offset, byte[] bytes) {}

  /**
   * A steered frame as it goes on: its bytes outside the target's range (patched), which the
   * receiver releases, and the target, whose memory holds the range.
   *
   * @param rest the other bytes
   * @param target the target
   */
  public record SteeredFrame(ByteBuf rest, Target target) {}

  private final int maxFrame;
  private final boolean trustLengths;
  private Steering steering;
  private Target target; // of the big frame being received, or null
  private byte[] rest; // the other bytes of that frame
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

  /**
   * Steers the big frames from the next one on (see above); null for none. Call on the event loop.
   *
   * @throws IllegalStateException if this decoder does not trust lengths
   */
  public void steer(Steering s) {
    if (!trustLengths && s != null) {
      throw new IllegalStateException("steering needs a decoder that trusts lengths");
    }
    steering = s;
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
            filled = 0;
            if (steering != null) {
              state = State.STEER_HEAD;
            } else {
              body = takeSpare(length);
            }
          }
        }
        case STEER_HEAD -> {
          int need = Math.min(length, STEER_HEAD);
          if (cumulation.readableBytes() < need) {
            return;
          }
          Target t = steering.steer(cumulation.slice(cumulation.readerIndex(), need), length);
          if (t != null && t.offset >= 0 && t.offset + t.into.byteSize() <= length) {
            target = t;
            rest = new byte[length - (int) t.into.byteSize()];
          } else {
            body = takeSpare(length);
          }
          state = State.READ_BODY;
        }
        case READ_BODY -> {
          if (target != null) {
            if (!readSteered()) {
              return;
            }
            Target t = target;
            byte[] r = rest;
            target = null;
            rest = null;
            state = State.READ_HEADER;
            if (!t.revoked()) {
              for (Patch p : t.patches) {
                System.arraycopy(p.bytes(), 0, r, p.offset(), p.bytes().length);
              }
              ctx.fireChannelRead(new SteeredFrame(Unpooled.wrappedBuffer(r), t));
            }
            if (cumulation == null) {
              return; // removed from the pipeline while the frame was handled
            }
            continue;
          }
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

  /**
   * Moves received bytes of the steered frame to their places: before and after the target's range
   * into {@link #rest}, the range into the target's memory (skipped once revoked). Whether the
   * frame is complete.
   */
  private boolean readSteered() {
    int from = target.offset;
    int to = from + (int) target.into.byteSize();
    while (filled < length && cumulation.isReadable()) {
      int avail = cumulation.readableBytes();
      if (filled < from) {
        int take = Math.min(avail, from - filled);
        cumulation.readBytes(rest, filled, take);
        filled += take;
      } else if (filled < to) {
        int take = Math.min(avail, to - filled);
        if (target.revoked()) {
          cumulation.skipBytes(take);
        } else {
          // through the segment's own checks: memory already freed fails, it is not written
          long at = (long) filled - from;
          for (ByteBuffer b : cumulation.readSlice(take).nioBuffers()) {
            int n = b.remaining();
            MemorySegment.copy(MemorySegment.ofBuffer(b), 0, target.into, at, n);
            at += n;
          }
        }
        filled += take;
      } else {
        int take = Math.min(avail, length - filled);
        cumulation.readBytes(rest, filled - (to - from), take);
        filled += take;
      }
    }
    cumulation.discardReadComponents();
    return filled == length;
  }

  /** Bytes received that do not yet make a whole frame. */
  public int pendingBytes() {
    return (cumulation == null ? 0 : cumulation.readableBytes())
        + (body == null && target == null ? 0 : filled);
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
    target = null;
    rest = null;
    if (cumulation != null) {
      cumulation.release();
      cumulation = null;
    }
  }
}
