package org.zbig.server;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.zbig.wire.netty.PemKeys;

/**
 * TLS on the listening socket, the equivalent of ZEO's {@code <ssl>} section: a certificate chain
 * and its private key (PEM), and optionally the CA whose client certificates are accepted; a client
 * without one is refused by the TLS handshake, before any ZEO message is read.
 *
 * <p>The key may be in PKCS#8 ({@code BEGIN PRIVATE KEY}, or {@code BEGIN ENCRYPTED PRIVATE KEY}
 * without a password) or an unencrypted RSA key in PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), the form
 * {@code openssl genrsa} wrote for years and Python's {@code ssl}, and so a ZEO server's {@code
 * <ssl>} section, accepts: it is rewrapped as PKCS#8 in memory. Any other form is refused with what
 * to run to convert it.
 *
 * @param certificate the server's certificate chain (PEM)
 * @param key its private key (PEM, PKCS#8 or an RSA key in PKCS#1)
 * @param clientCa the CA of accepted client certificates (PEM), or null for no client certificates
 */
public record Tls(Path certificate, Path key, Path clientCa) {
  /** Checks that the files exist. */
  public Tls {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    for (Path p :
        clientCa == null
            ? new Path[] {certificate, key}
            : new Path[] {certificate, key, clientCa}) {
      if (!Files.isReadable(p)) {
        throw new IllegalArgumentException("TLS file: '" + p + "' (expected: a readable PEM file)");
      }
    }
  }

  /**
   * The server's certificate as a JDK {@link javax.net.ssl.SSLContext}, for the status listener's
   * HTTPS (browsers bring no client certificate: none is asked).
   */
  public SSLContext jdkContext() {
    try {
      SslContext c = builder().sslProvider(SslProvider.JDK).build();
      return ((JdkSslContext) c).context();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "TLS: cannot use " + certificate + " and " + key + ": " + e.getMessage(), e);
    }
  }

  /** The server's TLS context. */
  SslContext context() {
    try {
      SslContextBuilder b = builder();
      if (clientCa != null) {
        b.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "TLS: cannot use " + certificate + " and " + key + ": " + e.getMessage(), e);
    }
  }

  /** A server context builder with the certificate chain and the key, read as PKCS#8. */
  private SslContextBuilder builder() {
    return SslContextBuilder.forServer(
        new ByteArrayInputStream(PemKeys.read(certificate)),
        new ByteArrayInputStream(PemKeys.pkcs8(key)));
  }
}
