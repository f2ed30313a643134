package org.zbig.client.zeo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.Tls;
import org.zbig.server.ZeoServer;
import org.zbig.wire.LoadBefore;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.pickle.Bytes;

/** The client over TLS ({@link ClientOptions#withTls}) to a server that speaks only TLS. */
class ZeoClientTlsTest {
  @TempDir Path dir;

  /** A self-signed certificate for 127.0.0.1 and its PKCS#8 key, made by openssl. */
  private void certificate(String name, String host) throws Exception {
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                dir.resolve(name + ".key").toString(),
                "-out",
                dir.resolve(name + ".pem").toString(),
                "-subj",
                "/CN=" + host,
                "-addext",
                "subjectAltName=IP:" + host)
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl is not installed");
  }

  private SSLContext trusting(String name) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".pem"))) {
      trust.setCertificateEntry(
          name, CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void aClientTrustingTheServersCertificateWorksOthersDoNotConnect() throws Exception {
    certificate("server", "127.0.0.1");
    certificate("stranger", "127.0.0.1");
    Tls tls = new Tls(dir.resolve("server.pem"), dir.resolve("server.key"), null);
    ClientOptions quick =
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(10));
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), tls)) {
      try (ZeoClient c =
          ZeoClient.open(
              server.address(), quick.withTls(trusting("server")), new ZeoClientTest.Recorder())) {
        Tid t = ZeoClientTest.commit(c, 1, Oid.ROOT, Tid.Z64, Bytes.utf8("over TLS"));
        assertThat(c.invoke(id -> new LoadBefore(id, Oid.ROOT, Tid.MAX)).orElseThrow().start())
            .isEqualTo(t);
      }
      // a server certificate the client does not trust, and plain TCP to a TLS port: no connection
      assertThatThrownBy(() ->
              ZeoClient.open(
                  server.address(),
                  quick.withTls(trusting("stranger")),
                  new ZeoClientTest.Recorder()))
          .isInstanceOf(ClientDisconnectedException.class);
      assertThatThrownBy(
              () -> ZeoClient.open(server.address(), quick, new ZeoClientTest.Recorder()))
          .isInstanceOf(ClientDisconnectedException.class);
    }
  }

  @Test
  void pemFilesConfigureTlsAndAClientCertificateForAServerThatRequiresOne() throws Exception {
    certificate("server", "127.0.0.1");
    certificate("client", "127.0.0.1");
    // the server accepts clients whose certificate chains to client.pem (self-signed: its own CA)
    Tls mutual =
        new Tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("client.pem"));
    ClientOptions quick =
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(10));
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), mutual)) {
      try (ZeoClient c =
          ZeoClient.open(
              server.address(),
              quick.withTls(
                  dir.resolve("server.pem"), dir.resolve("client.pem"), dir.resolve("client.key")),
              new ZeoClientTest.Recorder())) {
        ZeoClientTest.commit(c, 1, Oid.ROOT, Tid.Z64, Bytes.utf8("with a client certificate"));
      }
      assertThatThrownBy(() ->
              ZeoClient.open(
                  server.address(),
                  quick.withTls(dir.resolve("server.pem"), null, null),
                  new ZeoClientTest.Recorder()))
          .isInstanceOf(ClientDisconnectedException.class);
    }
    assertThatThrownBy(() -> quick.withTls(dir.resolve("nothing.pem"), null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nothing.pem");
  }
}
