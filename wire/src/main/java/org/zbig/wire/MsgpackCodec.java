package org.zbig.wire;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.MessageBuffer;
import org.msgpack.value.ValueType;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.Tuple;

/**
 * The {@code M5} encoding (docs/protocol.md §2.3) through msgpack-core: bytes are bin, text is str
 * (strict UTF-8), every array decodes to a {@link Tuple} as Python peers decode with {@code
 * use_list=False}, maps to insertion-ordered maps with hashable keys, ints to {@link Long} or
 * {@link BigInteger}; ext types are refused. Decoded bin values are views of the frame, not copies.
 */
final class MsgpackCodec {
  /**
   * Deeper nesting than any ZEO message has; bounds the recursion. An array or map met deeper is
   * skipped and decodes as {@link WireValues#TOO_DEEP}.
   */
  static final int MAX_DEPTH = WireValues.MAX_DEPTH;

  private static final BigInteger UINT64_MAX =
      BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);

  Object decode(byte[] frame, int offset, int length) {
    MemorySegment all = MemorySegment.ofArray(frame);
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame, offset, length)) {
      Object value = read(u, all, offset, length, 0);
      if (u.hasNext()) {
        throw new ProtocolException(
            "M5 message: "
                + (length - u.getTotalReadBytes())
                + " bytes after the value (expected: one value per frame)");
      }
      return value;
    } catch (MessageInsufficientBufferException e) {
      throw new ProtocolException(
          "undecodable M5 message: it ends before its value is complete (expected: one whole value"
              + " per frame)",
          e);
    } catch (IOException | MessagePackException e) {
      String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      throw new ProtocolException("undecodable M5 message: " + why, e);
    }
  }

  private static Object read(MessageUnpacker u, MemorySegment all, int base, int length, int depth)
      throws IOException {
    MessageFormat f = u.getNextFormat();
    if (depth >= MAX_DEPTH
        && (f.getValueType() == ValueType.ARRAY || f.getValueType() == ValueType.MAP)) {
      // skipped without recursion; the shape check names it, with the msgid when there is one
      u.skipValue();
      return WireValues.TOO_DEEP;
    }
    return switch (f.getValueType()) {
      case NIL -> {
        u.unpackNil();
        yield null;
      }
      case BOOLEAN -> u.unpackBoolean();
      case INTEGER ->
          f == MessageFormat.UINT64 ? PickleValues.integer(u.unpackBigInteger()) : u.unpackLong();
      case FLOAT -> u.unpackDouble();
      case STRING -> {
        int n = u.unpackRawStringHeader();
        long at = payload(u, base, length, n, "str");
        yield utf8(all.asSlice(at, n));
      }
      case BINARY -> {
        int n = u.unpackBinaryHeader();
        long at = payload(u, base, length, n, "bin");
        yield Bytes.view(all.asSlice(at, n));
      }
      case ARRAY -> {
        int n = u.unpackArrayHeader();
        items(u, length, n, "array");
        Object[] items = new Object[n];
        for (int i = 0; i < n; i++) {
          items[i] = read(u, all, base, length, depth + 1);
        }
        yield Tuple.of(items);
      }
      case MAP -> {
        int n = u.unpackMapHeader();
        items(u, length, 2L * n, "map");
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          Object k = read(u, all, base, length, depth + 1);
          if (!PickleValues.isHashable(k)) {
            throw WireValues.bad("M5 map key", k, "a hashable value");
          }
          m.put(k, read(u, all, base, length, depth + 1));
        }
        yield m;
      }
      case EXTENSION ->
          throw new ProtocolException(
              "M5 message: msgpack ext type "
                  + u.unpackExtensionTypeHeader().getType()
                  + " (expected: none, ZEO uses no ext types)");
    };
  }

  /** Checks that {@code n} payload bytes remain, skips them and returns where they start. */
  private static long payload(MessageUnpacker u, int base, int length, int n, String what)
      throws IOException {
    long at = u.getTotalReadBytes();
    if (n < 0 || n > length - at) {
      throw new ProtocolException(
          "M5 "
              + what
              + " of "
              + Integer.toUnsignedString(n)
              + " bytes at offset "
              + at
              + " (expected: <= "
              + (length - at)
              + ", the rest of the frame)");
    }
    u.readPayloadAsReference(n);
    return base + at;
  }

  /** Each item takes at least a byte: refuses counts the rest of the frame cannot hold. */
  private static void items(MessageUnpacker u, int length, long n, String what) {
    long left = length - u.getTotalReadBytes();
    if (n < 0 || n > left) {
      throw new ProtocolException(
          "M5 " + what + " of " + n + " items in " + left + " bytes (expected: <= " + left + ")");
    }
  }

  private static String utf8(MemorySegment s) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(s.asByteBuffer())
          .toString();
    } catch (CharacterCodingException e) {
      throw new ProtocolException("M5 str is not valid UTF-8: " + e.getMessage(), e);
    }
  }

  List<MemorySegment> encode(Object value, long spliceThreshold) {
    List<MemorySegment> pieces = new ArrayList<>();
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      write(p, value, pieces, spliceThreshold, 0);
      drain(p, pieces);
      return pieces;
    } catch (IOException e) {
      throw new ProtocolException("cannot encode as M5: " + e.getMessage(), e);
    }
  }

  private static void write(
      MessageBufferPacker p, Object v, List<MemorySegment> pieces, long splice, int depth)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new ProtocolException("value nested deeper than " + MAX_DEPTH + " levels");
    }
    switch (v) {
      case null -> p.packNil();
      case Boolean b -> p.packBoolean(b);
      case Long l -> p.packLong(l);
      case Integer i -> p.packInt(i);
      case BigInteger b -> {
        if (b.compareTo(INT64_MIN) < 0 || b.compareTo(UINT64_MAX) > 0) {
          throw WireValues.bad("M5 int", b, "an int in [-2^63, 2^64)");
        }
        p.packBigInteger(b);
      }
      case Double d -> p.packDouble(d);
      case String s -> p.packString(s);
      case Bytes b -> {
        p.packBinaryHeader(b.length());
        if (b.length() >= splice) {
          drain(p, pieces);
          pieces.add(b.segment());
        } else {
          p.writePayload(b.toByteArray());
        }
      }
      case Tuple t -> writeArray(p, t.items(), pieces, splice, depth);
      case List<?> l -> writeArray(p, l, pieces, splice, depth);
      case Map<?, ?> m -> {
        p.packMapHeader(m.size());
        for (Map.Entry<?, ?> e : m.entrySet()) {
          write(p, e.getKey(), pieces, splice, depth + 1);
          write(p, e.getValue(), pieces, splice, depth + 1);
        }
      }
      default ->
          throw WireValues.bad(
              "M5 value", v, "None, bool, int, float, str, bytes, " + "tuple, list or dict");
    }
  }

  private static void writeArray(
      MessageBufferPacker p, List<?> items, List<MemorySegment> pieces, long splice, int depth)
      throws IOException {
    p.packArrayHeader(items.size());
    for (Object item : items) {
      write(p, item, pieces, splice, depth + 1);
    }
  }

  /** Moves what the packer holds into {@code pieces} without copying it. */
  private static void drain(MessageBufferPacker p, List<MemorySegment> pieces) throws IOException {
    p.flush();
    for (MessageBuffer b : p.toBufferList()) {
      if (b.size() == 0) {
        continue;
      }
      pieces.add(
          b.hasArray()
              ? MemorySegment.ofArray(b.array()).asSlice(b.arrayOffset(), b.size())
              : MemorySegment.ofBuffer(b.sliceAsByteBuffer()));
    }
    p.clear();
  }
}
