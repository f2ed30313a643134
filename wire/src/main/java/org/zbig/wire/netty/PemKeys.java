package org.zbig.wire.netty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Private keys for TLS from PEM files, as both ends take them: PKCS#8 ({@code BEGIN PRIVATE KEY},
 * or {@code BEGIN ENCRYPTED PRIVATE KEY} without a password), or an unencrypted RSA key in PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}: what {@code openssl genrsa} wrote for years and what Python's
 * {@code ssl}, and so ZEO's {@code <ssl>} sections, accept), rewrapped as PKCS#8 in memory, since
 * the TLS library reads only PKCS#8. Any other form (an encrypted PKCS#1 key, an EC key in SEC1) is
 * refused with the file named and the command that converts it.
 */
public final class PemKeys {
  private PemKeys() {}

  /**
   * The bytes of a PEM file.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read
   */
  public static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new IllegalArgumentException("TLS file: '" + p + "' cannot be read: " + e, e);
    }
  }

  private static final String PKCS1_BEGIN = "-----BEGIN RSA PRIVATE KEY-----";
  private static final String PKCS1_END = "-----END RSA PRIVATE KEY-----";

  /** The DER of the AlgorithmIdentifier rsaEncryption (1.2.840.113549.1.1.1), NULL parameters. */
  private static final byte[] RSA_ALGORITHM =
      HexFormat.of().parseHex("300d06092a864886f70d0101010500");

  /**
   * The PEM text of private key file {@code key} in PKCS#8: as it is if it is, an RSA key in PKCS#1
   * rewrapped.
   *
   * @throws IllegalArgumentException naming the file and the form, with the command that converts
   *     it, for a key in another form (an encrypted PKCS#1 key, an EC key in SEC1, none at all)
   */
  public static byte[] pkcs8(Path key) {
    String pem = new String(read(key), StandardCharsets.US_ASCII);
    if (pem.contains("-----BEGIN PRIVATE KEY-----")
        || pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      return pem.getBytes(StandardCharsets.US_ASCII);
    }
    int begin = pem.indexOf(PKCS1_BEGIN);
    int end = pem.indexOf(PKCS1_END);
    String convert =
        " (expected: PKCS#8, or an unencrypted RSA key in PKCS#1; convert it with: openssl pkcs8"
            + " -topk8 -nocrypt -in "
            + key
            + " -out KEY.pk8)";
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(
          "TLS key: '" + key + "' holds no private key this server reads" + convert);
    }
    String body = pem.substring(begin + PKCS1_BEGIN.length(), end);
    if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
      throw new IllegalArgumentException(
          "TLS key: '" + key + "' is an encrypted RSA key in PKCS#1" + convert);
    }
    byte[] pkcs1;
    try {
      pkcs1 = Base64.getMimeDecoder().decode(body.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "TLS key: '" + key + "' is not valid PEM: " + e.getMessage() + convert, e);
    }
    // PrivateKeyInfo: version 0, the rsaEncryption algorithm with NULL parameters, the PKCS#1 key
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octets = der(0x04, pkcs1);
    byte[] info =
        der(
            0x30,
            ByteBuffer.allocate(version.length + RSA_ALGORITHM.length + octets.length)
                .put(version)
                .put(RSA_ALGORITHM)
                .put(octets)
                .array());
    return ("-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(info)
            + "\n-----END PRIVATE KEY-----\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** A DER element: its tag, its length (short or long form), its content. */
  private static byte[] der(int tag, byte[] content) {
    int n = content.length;
    int lengthBytes = n < 0x80 ? 0 : n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffff ? 3 : 4;
    ByteBuffer b = ByteBuffer.allocate(2 + lengthBytes + n).put((byte) tag);
    if (lengthBytes == 0) {
      b.put((byte) n);
    } else {
      b.put((byte) (0x80 | lengthBytes));
      for (int i = lengthBytes - 1; i >= 0; i--) {
        b.put((byte) (n >>> (8 * i)));
      }
    }
    return b.put(content).array();
  }
}
