package org.zbig.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.zbig.zodb.error.ProtocolException;

/**
 * The first frames of a connection (docs/protocol.md §1.3 and 1.5): the server offers {@code Z5} or
 * {@code M5}; the client answers with a letter and the version {@code 5}; a client may instead send
 * {@code ruok}, the status probe.
 */
public final class Handshake {
  /** The payload of the status probe frame. */
  private static final byte[] RUOK = {'r', 'u', 'o', 'k'};

  private Handshake() {}

  /** What the client's first frame means to the server. */
  public sealed interface Answer {}

  /**
   * The client accepted; every later frame uses {@code encoding}.
   *
   * @param encoding the encoding of the client's letter (not necessarily the one offered, as the
   *     Python server does it)
   */
  public record Accepted(Encoding encoding) implements Answer {}

  /** The status probe: the server answers one JSON frame and closes. */
  public record Ruok() implements Answer {}

  /**
   * Not a protocol this server speaks: close without sending anything.
   *
   * @param reason what was wrong, for the log
   */
  public record Refused(String reason) implements Answer {}

  /** The server's offer for {@code encoding}. */
  public static byte[] offer(Encoding encoding) {
    return encoding.protocolId();
  }

  /**
   * The server's reading of the client's first frame: {@code Z5} or {@code M5} is accepted, {@code
   * ruok} is the probe, anything else is refused.
   */
  public static Answer serverReads(byte[] frame) {
    if (Arrays.equals(frame, RUOK)) {
      return new Ruok();
    }
    if (frame.length == 2 && frame[1] == '5') {
      Encoding e = Encoding.ofLetter(frame[0]);
      if (e != null) {
        return new Accepted(e);
      }
    }
    return new Refused(
        "bad handshake: " + describe(frame) + " (expected: Z5 or M5, or the ruok status probe)");
  }

  /**
   * The client's choice for the server's offer, as ZEO 5.4+ clients choose: the version is {@code
   * min(offered digits, "5")}, which must be {@code 5}; the letter is the offered one.
   *
   * @throws ProtocolException if the offer is not a protocol this client speaks
   */
  public static Encoding clientChooses(byte[] offer) {
    Encoding e = offer.length >= 2 ? Encoding.ofLetter(offer[0]) : null;
    if (e == null || compareDigits(offer) < 0) {
      throw new ProtocolException(
          "server protocol: " + describe(offer) + " (expected: Z5 or M5, or a later version)");
    }
    return e;
  }

  /** {@code offer[1:]} compared with {@code "5"} as byte strings. */
  private static int compareDigits(byte[] offer) {
    return Arrays.compareUnsigned(offer, 1, offer.length, new byte[] {'5'}, 0, 1);
  }

  /** The client's answer to send for the chosen encoding. */
  public static byte[] answer(Encoding encoding) {
    return encoding.protocolId();
  }

  private static String describe(byte[] frame) {
    boolean printable = frame.length <= 16;
    for (byte b : frame) {
      printable &= b >= 0x20 && b < 0x7f;
    }
    return printable
        ? "'" + new String(frame, StandardCharsets.US_ASCII) + "'"
        : frame.length
            + " bytes "
            + HexFormat.of().formatHex(frame, 0, Math.min(frame.length, 16))
            + (frame.length > 16 ? "..." : "");
  }
}
