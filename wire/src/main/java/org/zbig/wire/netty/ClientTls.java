package org.zbig.wire.netty;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The TLS of a ZEO client, shared by the Java client and the server's own commands that connect to
 * a server ({@code pack}, {@code backup}): a context that trusts a CA (or a server certificate) and
 * optionally presents a client certificate, and the host-name check every connection makes.
 */
public final class ClientTls {
  private ClientTls() {}

  /**
   * A client context from PEM files.
   *
   * @param trusted the CA or server certificate to trust (PEM)
   * @param certificate this client's certificate chain (PEM), or null
   * @param key its private key (PEM, PKCS#8 or an RSA key in PKCS#1: see {@link PemKeys}), or null
   * @throws IllegalArgumentException naming the files when they cannot be used
   */
  public static SSLContext context(Path trusted, Path certificate, Path key) {
    if ((certificate == null) != (key == null)) {
      throw new IllegalArgumentException(
          "TLS client certificate "
              + certificate
              + " and key "
              + key
              + " (expected: both or neither)");
    }
    try {
      SslContextBuilder b =
          SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(trusted.toFile());
      if (certificate != null) {
        b.keyManager(
            new ByteArrayInputStream(PemKeys.read(certificate)),
            new ByteArrayInputStream(PemKeys.pkcs8(key)));
      }
      return ((JdkSslContext) b.build()).context();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "TLS files "
              + trusted
              + (certificate == null ? "" : ", " + certificate + ", " + key)
              + " (expected: readable PEM certificates and a PKCS#8 or PKCS#1 RSA key): "
              + e.getMessage(),
          e);
    }
  }

  /** Makes {@code engine} check that the server's certificate names the host connected to. */
  public static void checkHostName(SSLEngine engine) {
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(params);
  }

  /** Makes {@code socket} check that the server's certificate names the host connected to. */
  public static void checkHostName(SSLSocket socket) {
    SSLParameters params = socket.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    socket.setSSLParameters(params);
  }
}
