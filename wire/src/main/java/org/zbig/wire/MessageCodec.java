package org.zbig.wire;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import org.zbig.zodb.error.ProtocolException;

/**
 * Frame payloads to and from {@link Message}s in one encoding, for one end of a connection. Pure:
 * no I/O, no Netty; the Netty handlers of {@code org.zbig.wire.netty} and tests use it.
 *
 * <p>Zero copy: decoded byte strings are views of the frame array, which must not change while they
 * are in use; encoded byte strings of at least {@link #SPLICE_THRESHOLD} bytes are referenced by
 * the returned pieces, not copied, so a 2 MiB record goes from storage to socket without a copy
 * here.
 *
 * <p>Thread-safe (stateless apart from its settings).
 */
public final class MessageCodec {
  /**
   * Byte strings at least this long are spliced into the output instead of copied. Small enough for
   * ZBlk1's 4 KiB chunks: copied into the pickle, each reply cost an allocation, a growth of the
   * pickle's buffer and a copy more than the one into the socket's buffer (a ZBlk1 block read,
   * about 530 of them: 3.80-3.85 ms before, 3.63-3.68 ms after, ZBlkFormatBenchmark, three runs of
   * each alternated).
   */
  public static final long SPLICE_THRESHOLD = 512;

  private final Encoding encoding;
  private final Role role;
  private final PickleCodec pickle;
  private final MsgpackCodec msgpack;

  /**
   * A codec.
   *
   * @param encoding the encoding agreed in the handshake
   * @param role the end that uses it, which decides what it accepts
   */
  public MessageCodec(Encoding encoding, Role role) {
    this.encoding = Objects.requireNonNull(encoding, "encoding");
    this.role = Objects.requireNonNull(role, "role");
    this.pickle = encoding == Encoding.PICKLE ? new PickleCodec(role) : null;
    this.msgpack = encoding == Encoding.MSGPACK ? new MsgpackCodec() : null;
  }

  /** The encoding. */
  public Encoding encoding() {
    return encoding;
  }

  /** The end this codec decodes for. */
  public Role role() {
    return role;
  }

  /**
   * Decodes one frame payload (without its length prefix) into a message.
   *
   * @throws ProtocolException naming what was wrong if it is not a message this end accepts
   */
  public Message decode(byte[] frame, int offset, int length) {
    return Messages.fromValue(decodeValue(frame, offset, length), role, maxValues(length));
  }

  /**
   * The most values a frame of {@code length} bytes may carry: each value a ZEO peer writes takes
   * at least one byte (neither encoding shares values when ZEO writes them), with room to spare.
   */
  static long maxValues(int length) {
    return 2L * length + 64;
  }

  /**
   * Decodes one frame payload into the plain 4-tuple, without checking it is a message.
   *
   * @throws ProtocolException if it is not well-formed in this encoding
   */
  public Object decodeValue(byte[] frame, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, frame.length);
    try {
      return encoding == Encoding.PICKLE
          ? pickle.decode(MemorySegment.ofArray(frame).asSlice(offset, length))
          : msgpack.decode(frame, offset, length);
    } catch (ProtocolException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new ProtocolException("undecodable " + encoding + " message: " + e, e);
    }
  }

  /** Encodes a message as the consecutive pieces of one frame payload. */
  public List<MemorySegment> encode(Message m) {
    return encodeValue(Messages.toValue(m));
  }

  /** Encodes any wire value as the consecutive pieces of one frame payload. */
  public List<MemorySegment> encodeValue(Object value) {
    return encoding == Encoding.PICKLE
        ? pickle.encode(value, SPLICE_THRESHOLD)
        : msgpack.encode(value, SPLICE_THRESHOLD);
  }

  /** Encodes a message into one array (a copy of the pieces; for tests and small messages). */
  public byte[] encodeToArray(Message m) {
    return encodeValueToArray(Messages.toValue(m));
  }

  /** Encodes any wire value into one array (a copy of the pieces; for tests and tools). */
  public byte[] encodeValueToArray(Object value) {
    List<MemorySegment> pieces = encodeValue(value);
    long n = 0;
    for (MemorySegment p : pieces) {
      n += p.byteSize();
    }
    byte[] out = new byte[Math.toIntExact(n)];
    int o = 0;
    for (MemorySegment p : pieces) {
      MemorySegment.copy(p, 0, MemorySegment.ofArray(out), o, p.byteSize());
      o += (int) p.byteSize();
    }
    return out;
  }
}
