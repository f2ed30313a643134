package org.zbig.client.zeo;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import org.zbig.wire.Encoding;
import org.zbig.wire.MsgId;
import org.zbig.wire.netty.FrameDecoder;

/**
 * Where a record's data lies in a {@code loadBefore} reply, read from the first bytes of its frame,
 * so that a {@link ZeoClient.Sink} can receive it (docs/protocol.md §2). Only the exact form this
 * project's server and ZEO write is recognised; anything else gives null and the reply arrives
 * whole:
 *
 * <pre>
 * Z5: PROTO 3, MARK, msgid (BININT1, BININT2, BININT or LONG1), 0 (BININT1) or NEWFALSE,
 *     BINUNICODE ".reply", BINBYTES record (4-byte length), ...
 * M5: fixarray 4, msgid (fixint, uint 8/16/32/64), false or 0, fixstr ".reply", fixarray 3,
 *     bin 32 or bin 16 record, ...
 * record: the sink's prefix (a class pickle, then PROTO 3 and the BINBYTES opcode of the state),
 *     a 4-byte little-endian length n, n data bytes, then STOP or BINPUT 1 and STOP
 * </pre>
 *
 * The data is cut out of the frame; two patches keep the rest a well-formed message: the record's
 * length loses n, the state's length becomes 0. The message then decodes to the same reply with an
 * empty state.
 */
final class ReplyLayout {
  private ReplyLayout() {}

  /**
   * Where the data is.
   *
   * @param msgid the reply's msgid
   * @param dataOffset the data's offset in the frame
   * @param dataLength its length
   * @param patches what keeps the rest of the frame a message
   */
  record Layout(MsgId msgid, int dataOffset, int dataLength, List<FrameDecoder.Patch> patches) {}

  private static final byte[] REPLY = ".reply".getBytes(StandardCharsets.US_ASCII);

  /**
   * The layout of the frame whose first bytes are {@code head}, or null.
   *
   * @param prefixOf the record prefix expected for a msgid, or null when no sink waits for it
   */
  static Layout parse(
      ByteBuf head, int frameLength, Encoding encoding, Function<MsgId, byte[]> prefixOf) {
    Reader r = new Reader(head);
    try {
      return encoding == Encoding.PICKLE
          ? pickle(r, frameLength, prefixOf)
          : msgpack(r, frameLength, prefixOf);
    } catch (IndexOutOfBoundsException | IllegalStateException shortOrOdd) {
      return null; // the head ends first, or a form not recognised
    }
  }

  private static Layout pickle(Reader r, int frameLength, Function<MsgId, byte[]> prefixOf) {
    r.expect(0x80, 0x03, '(');
    long id =
        switch (r.u8()) {
          case 'K' -> r.u8();
          case 'M' -> r.uint(2, ByteOrder.LITTLE_ENDIAN);
          case 'J' -> (int) r.uint(4, ByteOrder.LITTLE_ENDIAN);
          case 0x8a -> r.long1();
          default -> throw new IllegalStateException();
        };
    int flag = r.u8();
    if (flag == 'K') {
      r.expect(0);
    } else if (flag != 0x89) {
      throw new IllegalStateException();
    }
    r.expect('X', 6, 0, 0, 0);
    r.expect(REPLY);
    r.expect('B');
    int lengthAt = r.at;
    long recordLength = r.uint(4, ByteOrder.LITTLE_ENDIAN);
    return record(
        r, MsgId.of(id), lengthAt, 4, ByteOrder.LITTLE_ENDIAN, recordLength, frameLength, prefixOf);
  }

  private static Layout msgpack(Reader r, int frameLength, Function<MsgId, byte[]> prefixOf) {
    r.expect(0x94);
    int op = r.u8();
    long id =
        switch (op) {
          case 0xcc -> r.u8();
          case 0xcd -> r.uint(2, ByteOrder.BIG_ENDIAN);
          case 0xce -> r.uint(4, ByteOrder.BIG_ENDIAN);
          case 0xcf -> r.uint(8, ByteOrder.BIG_ENDIAN);
          default -> {
            if (op > 0x7f) {
              throw new IllegalStateException();
            }
            yield op;
          }
        };
    int flag = r.u8();
    if (flag != 0xc2 && flag != 0) {
      throw new IllegalStateException();
    }
    r.expect(0xa6);
    r.expect(REPLY);
    r.expect(0x93);
    int bin = r.u8();
    int width =
        switch (bin) {
          case 0xc6 -> 4;
          case 0xc5 -> 2;
          default -> throw new IllegalStateException();
        };
    int lengthAt = r.at;
    long recordLength = r.uint(width, ByteOrder.BIG_ENDIAN);
    return record(
        r,
        MsgId.of(id),
        lengthAt,
        width,
        ByteOrder.BIG_ENDIAN,
        recordLength,
        frameLength,
        prefixOf);
  }

  /**
   * The record's part, from its first byte on; its length, of {@code width} bytes in {@code order},
   * was at {@code lengthAt}.
   */
  private static Layout record(
      Reader r,
      MsgId msgid,
      int lengthAt,
      int width,
      ByteOrder order,
      long recordLength,
      int frameLength,
      Function<MsgId, byte[]> prefixOf) {
    byte[] prefix = prefixOf.apply(msgid);
    if (prefix == null) {
      return null;
    }
    int recordAt = r.at;
    r.expect(prefix);
    int stateLengthAt = r.at;
    long n = r.uint(4, ByteOrder.LITTLE_ENDIAN);
    int dataAt = r.at;
    long after = recordLength - (dataAt - recordAt) - n; // STOP, or BINPUT 1 and STOP
    if ((after != 1 && after != 3) || recordAt + recordLength > frameLength) {
      return null;
    }
    long rest = recordLength - n;
    ByteBuffer outer = ByteBuffer.allocate(width).order(order);
    if (width == 2) {
      outer.putShort((short) rest);
    } else {
      outer.putInt((int) rest);
    }
    return new Layout(
        msgid,
        dataAt,
        (int) n,
        List.of(
            new FrameDecoder.Patch(lengthAt, outer.array()),
            new FrameDecoder.Patch(stateLengthAt, new byte[4])));
  }

  /** Reads the head from its start; out of bytes is an {@link IndexOutOfBoundsException}. */
  private static final class Reader {
    private final ByteBuf head;
    private final int base;
    int at; // offset in the frame

    Reader(ByteBuf head) {
      this.head = head;
      this.base = head.readerIndex();
    }

    int u8() {
      return head.getUnsignedByte(base + at++);
    }

    void expect(int... bytes) {
      for (int b : bytes) {
        if (u8() != b) {
          throw new IllegalStateException();
        }
      }
    }

    void expect(byte[] bytes) {
      for (byte b : bytes) {
        if (u8() != Byte.toUnsignedInt(b)) {
          throw new IllegalStateException();
        }
      }
    }

    long uint(int width, ByteOrder order) {
      long v = 0;
      for (int i = 0; i < width; i++) {
        long b = u8();
        v |= order == ByteOrder.LITTLE_ENDIAN ? b << (8 * i) : b << (8 * (width - 1 - i));
      }
      if (v < 0) {
        throw new IllegalStateException();
      }
      return v;
    }

    /** LONG1: a length byte, then that many little-endian two's-complement bytes (up to 8). */
    long long1() {
      int n = u8();
      if (n == 0 || n > 8) {
        throw new IllegalStateException();
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        v |= (long) u8() << (8 * i);
      }
      if (n < 8 && (v >>> (8 * n - 1) & 1) != 0) {
        throw new IllegalStateException(); // negative
      }
      return v;
    }
  }
}
