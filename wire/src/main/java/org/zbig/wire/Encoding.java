package org.zbig.wire;

/**
 * The two encodings of ZEO 5 messages, named by the first byte of the handshake (docs/protocol.md
 * §1.3).
 */
public enum Encoding {
  /**
   * {@code Z5}: pickle protocol 3 (docs/protocol.md §2.2); the default, the only one ZEO 5.0
   * clients know.
   */
  PICKLE('Z'),
  /**
   * {@code M5}: msgpack with bin for bytes and str for text (docs/protocol.md §2.3); ZEO 5.1 and
   * later.
   */
  MSGPACK('M');

  private final char letter;

  Encoding(char letter) {
    this.letter = letter;
  }

  /** The handshake letter: {@code Z} or {@code M}. */
  public char letter() {
    return letter;
  }

  /** The 2-byte protocol id of the handshake: {@code Z5} or {@code M5}. */
  public byte[] protocolId() {
    return new byte[] {(byte) letter, '5'};
  }

  /** The encoding of a handshake letter, or null if there is none. */
  public static Encoding ofLetter(int letter) {
    for (Encoding e : values()) {
      if (e.letter == letter) {
        return e;
      }
    }
    return null;
  }
}
