package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.wire.*;
import org.zbig.wire.netty.ClientTls;

/** TLS on the listening socket, with and without client certificates (made with openssl). */
class TlsTest {
  @TempDir Path dir;

  private void openssl(String... args) throws Exception {
    Process p =
        new ProcessBuilder(
                java.util.stream.Stream.concat(
                        java.util.stream.Stream.of("openssl"), java.util.Arrays.stream(args))
                    .toList())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
  }

  @BeforeEach
  void certificates() throws Exception {
    boolean have = new ProcessBuilder("openssl", "version").start().waitFor() == 0;
    if (System.getenv("CI") == null) {
      assumeTrue(have, "openssl is not installed");
    }
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=zbig test CA");
    for (String who : List.of("server", "client")) {
      openssl(
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          who + ".key",
          "-out",
          who + ".csr",
          "-subj",
          "/CN=" + who);
      Files.writeString(dir.resolve(who + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      openssl(
          "x509",
          "-req",
          "-in",
          who + ".csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          who + ".pem",
          "-days",
          "2",
          "-extfile",
          who + ".ext");
      openssl("pkcs8", "-topk8", "-nocrypt", "-in", who + ".key", "-out", who + ".pk8");
    }
    openssl(
        "pkcs12",
        "-export",
        "-in",
        "client.pem",
        "-inkey",
        "client.key",
        "-out",
        "client.p12",
        "-passout",
        "pass:secret");
  }

  private SSLContext clientContext(boolean withCertificate) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = new FileInputStream(dir.resolve("ca.pem").toFile())) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (withCertificate) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (var in = new FileInputStream(dir.resolve("client.p12").toFile())) {
        keys.load(in, "secret".toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, "secret".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /**
   * Connects over TLS, reads the offer, registers and ends TLS; returns the register reply's tid.
   */
  private static Object register(SSLContext ctx, int port) throws IOException {
    try (java.net.Socket tcp = new java.net.Socket("127.0.0.1", port);
        SSLSocket s =
            (SSLSocket) ctx.getSocketFactory().createSocket(tcp, "127.0.0.1", port, false)) {
      s.setSoTimeout(10_000);
      tcp.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] offer = new byte[in.readInt()];
      in.readFully(offer);
      Encoding e = Handshake.clientChooses(offer);
      write(out, Handshake.answer(e));
      MessageCodec codec = new MessageCodec(e, Role.CLIENT);
      Register r = new Register(MsgId.of(1), "1", false);
      write(out, codec.encodeToArray(r));
      byte[] reply = new byte[in.readInt()];
      in.readFully(reply);
      Object tid =
          r.decodeResult(((Reply) codec.decode(reply, 0, reply.length)).value()).orElseThrow();
      // a client that ends TLS (close_notify, as Python's asyncio does on close) is closed
      s.shutdownOutput();
      if (in.read() != -1) {
        throw new AssertionError("the server did not end TLS after the client's close_notify");
      }
      try {
        if (tcp.getInputStream().read() != -1) {
          throw new AssertionError("bytes after the server's close_notify");
        }
      } catch (java.net.SocketTimeoutException stillOpen) {
        throw new AssertionError("the server kept the TCP connection open after close_notify");
      }
      return tid;
    }
  }

  private static void write(DataOutputStream out, byte[] payload) throws IOException {
    byte[] f = new byte[4 + payload.length];
    ByteBuffer.wrap(f).putInt(payload.length).put(payload);
    out.write(f);
    out.flush();
  }

  @Test
  void tlsServesZeoAndClientCertificatesAreRequiredWhenAsked() throws Exception {
    Tls plain = new Tls(dir.resolve("server.pem"), dir.resolve("server.pk8"), null);
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), plain)) {
      assertThat(register(clientContext(false), server.address().getPort())).isNotNull();
      // a client speaking plain ZEO gets no offer: the server waits for a TLS client hello
      try (java.net.Socket raw = new java.net.Socket("127.0.0.1", server.address().getPort())) {
        raw.setSoTimeout(500);
        int first;
        try {
          first = raw.getInputStream().read();
        } catch (java.net.SocketTimeoutException silence) {
          first = -2;
        }
        assertThat(first).isIn(-1, -2);
      }
    }
    Tls mutual =
        new Tls(dir.resolve("server.pem"), dir.resolve("server.pk8"), dir.resolve("ca.pem"));
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), mutual)) {
      assertThat(register(clientContext(true), server.address().getPort())).isNotNull();
      boolean refused;
      try {
        register(clientContext(false), server.address().getPort());
        refused = false;
      } catch (IOException e) {
        refused = true; // the TLS handshake fails: no ZEO message was read
      }
      assertThat(refused).isTrue();
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new Tls(dir.resolve("nothing.pem"), dir.resolve("server.pk8"), null))
        .hasMessageContaining("nothing.pem' (expected: a readable PEM file)");
  }

  /**
   * An RSA key in PKCS#1 (what a Python ZEO server's {@code <ssl>} section is often given) serves
   * as the same key in PKCS#8 does; an encrypted PKCS#1 key and an EC key in SEC1 are refused with
   * the file named and the command that converts them.
   */
  @Test
  void anRsaKeyInPkcs1ServesAndOtherFormsAreRefusedWithTheCommandThatConvertsThem()
      throws Exception {
    openssl("rsa", "-in", "server.key", "-traditional", "-out", "server.rsa");
    assertThat(Files.readString(dir.resolve("server.rsa"))).contains("BEGIN RSA PRIVATE KEY");
    Tls pkcs1 =
        new Tls(dir.resolve("server.pem"), dir.resolve("server.rsa"), dir.resolve("ca.pem"));
    openssl("rsa", "-in", "client.key", "-traditional", "-out", "client.rsa");
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), pkcs1)) {
      assertThat(register(clientContext(true), server.address().getPort())).isNotNull();
      // the client's key in PKCS#1 too, through the context the Java client and bin/zbig use
      SSLContext client =
          ClientTls.context(
              dir.resolve("ca.pem"), dir.resolve("client.pem"), dir.resolve("client.rsa"));
      assertThat(register(client, server.address().getPort())).isNotNull();
    }
    assertThat(pkcs1.jdkContext().getProtocol()).isNotNull();
    openssl(
        "rsa",
        "-in",
        "server.key",
        "-traditional",
        "-aes256",
        "-passout",
        "pass:secret",
        "-out",
        "locked.rsa");
    Tls locked = new Tls(dir.resolve("server.pem"), dir.resolve("locked.rsa"), null);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), locked).close())
        .hasMessageContaining("locked.rsa' is an encrypted RSA key in PKCS#1")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt -in " + dir.resolve("locked.rsa"));
    openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "ec.key");
    Tls ec = new Tls(dir.resolve("server.pem"), dir.resolve("ec.key"), null);
    org.assertj.core.api.Assertions.assertThatThrownBy(ec::jdkContext)
        .hasMessageContaining("ec.key' holds no private key this server reads")
        .hasMessageContaining("expected: PKCS#8, or an unencrypted RSA key in PKCS#1");
  }

  @Test
  void packSpeaksTlsWithTheSameOptionsAsTheClient() throws Exception {
    Tls mutual =
        new Tls(dir.resolve("server.pem"), dir.resolve("server.pk8"), dir.resolve("ca.pem"));
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), mutual)) {
      String at = "127.0.0.1:" + server.address().getPort();
      String[] r =
          AdminCommandsTest.run(
              "pack",
              "--server",
              at,
              "--tls-ca",
              dir.resolve("ca.pem").toString(),
              "--tls-cert",
              dir.resolve("client.pem").toString(),
              "--tls-key",
              dir.resolve("client.pk8").toString());
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1]).contains("packed storage '1'");
      // without a client certificate the server's TLS handshake refuses it
      r =
          AdminCommandsTest.run(
              "pack", "--server", at, "--tls-ca", dir.resolve("ca.pem").toString());
      assertThat(r[0]).isNotEqualTo("0");
      // plain ZEO to a TLS server: no offer comes; the error says why, after the offer timeout
      r = AdminCommandsTest.run("pack", "--server", at);
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2]).contains("no ZEO offer from " + at).contains("--tls-ca");
      r =
          AdminCommandsTest.run(
              "pack", "--server", at, "--tls-cert", "x.pem", "--tls-key", "x.pk8");
      assertThat(r[0]).isEqualTo("2");
      assertThat(r[2]).contains("--tls-cert and --tls-key need --tls-ca");
    }
  }
}
