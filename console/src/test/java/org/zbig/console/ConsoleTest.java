package org.zbig.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.Tls;
import org.zbig.server.ZeoServer;
import org.zbig.server.http.StatusServer;

/**
 * The web console against a real server on RocksDB with a real array: its HTTP API with good and
 * bad input, and the page in a real browser (headless Chromium).
 */
class ConsoleTest {
  @TempDir Path dir;

  private static final int ROWS = 300;
  private static final int COLS = 200;

  private ZeoServer server;
  private StatusServer status;
  private Database db;
  private Connection conn;
  private VirtMem vm;
  private ZBigArray grid;

  /** Element [r, c] of the test array. */
  private static double value(long r, long c) {
    return r * COLS + c;
  }

  @BeforeEach
  void start() throws Exception {
    start(null);
  }

  private void start(Tls tls) throws Exception {
    ServerConfig m = ServerConfig.inMemory();
    server =
        ZeoServer.start(
            new ServerConfig(
                m.host(),
                0,
                dir.resolve("data"),
                "1",
                m.offer(),
                false,
                100,
                null,
                true,
                m.maxFrame()),
            Limits.defaults(),
            tls);
    status = new StatusServer(new InetSocketAddress("127.0.0.1", 0), server, tls);
    ClientOptions options =
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30));
    if (tls != null) {
      options = options.withTls(tls.certificate(), null, null);
    }
    db = Database.open(List.of(server.address()), options, 16 << 20);
    ZBigArray.register(db.registry());
    conn = db.open();
    vm = new VirtMem(64 << 10, 64L << 20, 0);
    // a 2-d array of known values in 64 KiB blocks, and a 1-d one
    grid = new ZBigArray(new long[] {ROWS, COLS}, DType.FLOAT64, 'C', 64 << 10);
    conn.root().put("grid", grid);
    ZBigArray line = new ZBigArray(new long[] {5000}, DType.FLOAT64, 'C', 64 << 10);
    conn.root().put("line", line);
    conn.commit("create");
    BigArray a = grid.open(vm);
    double[] all = new double[ROWS * COLS];
    for (int r = 0; r < ROWS; r++) {
      for (int c = 0; c < COLS; c++) {
        all[r * COLS + c] = value(r, c);
      }
    }
    try (BigArray.View v = a.view(true, Index.all())) {
      v.array().copyFrom(all);
    }
    double[] sine = new double[5000];
    for (int i = 0; i < sine.length; i++) {
      sine[i] = Math.sin(i / 100.0);
    }
    try (BigArray.View v = line.open(vm).view(true, Index.all())) {
      v.array().copyFrom(sine);
    }
    conn.commit("fill");
  }

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {status, conn, vm, db, server}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // closing what a failed test left
      }
    }
  }

  private record Answer(int status, String type, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() throws IOException {
      return new ObjectMapper().readTree(body);
    }
  }

  private Answer get(String path) throws IOException {
    HttpURLConnection c =
        (HttpURLConnection)
            URI.create("http://127.0.0.1:" + status.address().getPort() + path)
                .toURL()
                .openConnection();
    c.setReadTimeout(30_000);
    int code = c.getResponseCode();
    try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Answer(code, c.getContentType(), in == null ? new byte[0] : in.readAllBytes());
    }
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void theApiListsObjectsAndArraysAndReducesSlicesOnTheServer() throws Exception {
    assertThat(status.pages()).containsExactly("/console");
    Answer page = get("/console");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.text()).contains("<title>zbig console</title>");

    JsonNode arrays = get("/console/api/arrays").json().get("arrays");
    assertThat(arrays).hasSize(2);
    JsonNode g = arrays.get(0);
    assertThat(g.get("path").asText()).isEqualTo("grid");
    assertThat(g.get("shape").toString()).isEqualTo("[300,200]");
    assertThat(g.get("dtype").asText()).isEqualTo("<f8");
    assertThat(g.get("format").asText()).isEqualTo("ZBlk0");

    JsonNode root = get("/console/api/objects").json().get("root");
    assertThat(root.findValuesAsText("key")).containsExactly("grid", "line");
    assertThat(root.get(0).get("class").asText())
        .isEqualTo("wendelin.bigarray.array_zodb.ZBigArray");
    JsonNode obj = get("/console/api/objects?oid=" + root.get(0).get("oid").asText()).json();
    assertThat(obj.get("history").findValuesAsText("description")).containsExactly("create");

    // stride: every 2nd row and column of the whole 300 x 200 array for a 100 x 150 picture
    JsonNode m = get("/console/api/array?path=grid&w=150&h=100").json();
    assertThat(m.get("rows").asInt()).isEqualTo(100);
    assertThat(m.get("cols").asInt()).isEqualTo(100);
    assertThat(m.get("step").toString()).isEqualTo("[3,2]");
    Answer png = get("/console/api/image.png?path=grid&w=150&h=100");
    assertThat(png.type()).isEqualTo("image/png");
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png.body()));
    assertThat(img.getWidth()).isEqualTo(100);
    assertThat(img.getHeight()).isEqualTo(100);
    double lo = value(0, 0);
    double hi = value(297, 198);
    assertThat(m.get("min").asDouble()).isEqualTo(lo);
    assertThat(m.get("max").asDouble()).isEqualTo(hi);
    for (int[] p : new int[][] {{0, 0}, {99, 99}, {50, 20}, {99, 0}}) {
      int row = p[0];
      int col = p[1];
      assertThat(img.getRGB(col, row) & 0xffffff)
          .as("pixel %d,%d", row, col)
          .isEqualTo(Heatmap.rgb(value(row * 3L, col * 2L), lo, hi));
    }
    // mean: bins of 3 x 2 elements
    JsonNode mean = get("/console/api/array?path=grid&w=100&h=100&reduce=mean").json();
    assertThat(mean.get("min").asDouble()).isEqualTo((value(0, 0) + value(2, 1)) / 2);
    // an index: a window of rows, a fixed column gives a line
    JsonNode col = get("/console/api/array?path=grid&index=" + q("10:20, 7")).json();
    assertThat(col.get("slice").toString()).isEqualTo("[10]");
    double[] values = new ObjectMapper().treeToValue(col.get("values"), double[].class);
    for (int i = 0; i < 10; i++) {
      assertThat(values[i]).isEqualTo(value(10 + i, 7));
    }
    // negative steps: the last row first
    JsonNode back = get("/console/api/array?path=grid&index=" + q("::-1, -1")).json();
    assertThat(back.get("values").get(0).asDouble()).isEqualTo(value(ROWS - 1, COLS - 1));
    // a 1-d array reduced to 500 points by the mean
    JsonNode line = get("/console/api/array?path=line&w=500&reduce=mean").json();
    assertThat(line.get("values")).hasSize(500);
    assertThat(line.get("values").get(0).asDouble())
        .isCloseTo(
            java.util.stream.IntStream.range(0, 10)
                .mapToDouble(i -> Math.sin(i / 100.0))
                .average()
                .orElseThrow(),
            org.assertj.core.data.Offset.offset(1e-12));
    // the log: two commits, with the rows they added
    JsonNode log = get("/console/api/log?path=grid").json().get("log");
    assertThat(log.findValuesAsText("description")).containsExactly("create", "fill");
    assertThat(log.get(0).get("rowsAdded").asLong()).isEqualTo(ROWS);
  }

  @Test
  void badInputIsAClear4xxAndTheConsoleGoesOn() throws Exception {
    record Case(String path, int status, String message) {}
    List<Case> cases =
        List.of(
            new Case("/console/api/array?path=nosuch", 404, "array 'nosuch': not found"),
            new Case("/console/api/array?path=grid&index=" + q("1:2:3:4"), 400, "'1:2:3:4'"),
            new Case("/console/api/array?path=grid&index=" + q("x"), 400, "basic indexing"),
            new Case("/console/api/array?path=grid&index=" + q("300, :"), 400, "out of range"),
            new Case("/console/api/array?path=grid&index=" + q("5, 6"), 400, "leaves 0 axes"),
            new Case("/console/api/array?path=grid&index=" + q("None, :"), 400, "newaxis"),
            new Case("/console/api/array?path=grid&index=" + q("1, 2, 3"), 400, "3 indices"),
            new Case("/console/api/array?path=grid&w=100000&h=100000", 400, "w*h <= 4000000"),
            new Case("/console/api/array?path=grid&w=-1", 400, "w and h >= 1"),
            new Case("/console/api/array?path=grid&w=lots", 400, "w 'lots' (expected: an integer)"),
            new Case("/console/api/array?path=grid&reduce=max", 400, "stride or mean"),
            new Case("/console/api/array", 400, "path: missing"),
            new Case("/console/api/image.png?path=grid&index=" + q("::0"), 400, "step: 0"),
            new Case("/console/api/objects?oid=xyz", 400, "16 hex digits"),
            new Case("/console/api/objects?oid=ffff", 404, "not in the database"),
            new Case("/console/api/arrays?storage=other", 404, "storage 'other': unknown"),
            new Case("/console/api/wait?path=grid&since=now", 400, "a tid"),
            new Case(
                "/console/api/wait?path=grid&since=0000000000000000&timeout=99", 400, "0 to 25"),
            new Case("/console/nothing", 404, "no page"));
    for (Case c : cases) {
      long t0 = System.nanoTime();
      Answer a = get(c.path());
      assertThat(a.status()).as(c.path() + ": " + a.text()).isEqualTo(c.status());
      assertThat(a.text()).as(c.path()).contains(c.message());
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .as(c.path())
          .isLessThan(Duration.ofSeconds(5));
    }
    assertThat(get("/console/api/arrays").status()).isEqualTo(200);
  }

  @Test
  void aChangeToTheArrayWakesTheWaitAndAChangeElsewhereDoesNot() throws Exception {
    String tid = get("/console/api/array?path=grid").json().get("tid").asText();
    // a change elsewhere: the wait runs out without a change
    conn.root().put("other", 1L);
    conn.commit("elsewhere");
    JsonNode quiet = get("/console/api/wait?path=grid&timeout=1&since=" + tid).json();
    assertThat(quiet.get("changed").asBoolean()).isFalse();
    // a wait in progress, then a change to one of the array's blocks
    String since = quiet.get("tid").asText();
    CompletableFuture<JsonNode> waiting =
        CompletableFuture.supplyAsync(() -> {
          try {
            return get("/console/api/wait?path=grid&timeout=20&since=" + since).json();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    try (BigArray.View v = grid.open(vm).view(true, Index.at(150))) {
      v.array().fill(-1);
    }
    conn.commit("row 150");
    JsonNode woke = waiting.get(20, TimeUnit.SECONDS);
    assertThat(woke.get("changed").asBoolean()).isTrue();
    JsonNode m = get("/console/api/array?path=grid&index=150").json();
    assertThat(m.get("max").asDouble()).isEqualTo(-1.0);
  }

  @Test
  void withTlsTheConsoleIsServedOverHttpsAndReadsThroughTls() throws Exception {
    stop();
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-subj",
                "/CN=zbig",
                "-addext",
                "subjectAltName=IP:127.0.0.1")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (System.getenv("CI") == null) {
      assumeTrue(p.waitFor() == 0, "openssl cannot make a certificate: " + out);
    }
    assertThat(p.waitFor()).as(out).isZero();
    Path data = dir.resolve("data");
    try (var files = Files.walk(data)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    Tls tls = new Tls(dir.resolve("server.pem"), dir.resolve("server.key"), null);
    start(tls);
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("server.pem"))) {
      ks.setCertificateEntry(
          "server",
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    tmf.init(ks);
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    javax.net.ssl.HttpsURLConnection c =
        (javax.net.ssl.HttpsURLConnection)
            URI.create("https://127.0.0.1:" + status.address().getPort() + "/console/api/arrays")
                .toURL()
                .openConnection();
    c.setSSLSocketFactory(ctx.getSocketFactory());
    assertThat(c.getResponseCode()).isEqualTo(200);
    JsonNode arrays;
    try (InputStream in = c.getInputStream()) {
      arrays = new ObjectMapper().readTree(in).get("arrays");
    }
    assertThat(arrays.findValuesAsText("path")).containsExactly("grid", "line");
    // plain HTTP is not served
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> get("/console/api/arrays").status())
        .isInstanceOf(IOException.class);
  }

  @Test
  void headlessChromiumShowsTheArrayAndItsPixels() throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    if (System.getenv("CI") == null) {
      assumeTrue(Files.isExecutable(chromium), "chromium is not installed");
    }
    assertThat(chromium).as("chromium, which .ci/run installs").isExecutable();
    String url =
        "http://127.0.0.1:"
            + status.address().getPort()
            + "/console?array=grid&watch=0&index="
            + q("::-1, :");
    String dom = chromium(chromium, "--dump-dom", url);
    assertThat(dom)
        .contains("<b id=\"shape\">[300, 200]</b>")
        .contains("<b id=\"dtype\">&lt;f8</b>");
    String probe = dom.replaceAll("(?s).*<pre id=\"probe\"[^>]*>([^<]*)</pre>.*", "$1");
    JsonNode p = new ObjectMapper().readTree(probe);
    assertThat(p.get("width").asInt()).isEqualTo(COLS);
    assertThat(p.get("height").asInt()).isEqualTo(ROWS);
    // reversed rows: the top left pixel is the last row's first value
    double lo = value(0, 0);
    double hi = value(ROWS - 1, COLS - 1);
    JsonNode px = p.get("pixels");
    assertThat(px.get("0,0").asText()).isEqualTo(hex(Heatmap.rgb(value(ROWS - 1, 0), lo, hi)));
    assertThat(px.get((COLS - 1) + ",0").asText()).isEqualTo(hex(Heatmap.rgb(hi, lo, hi)));
    assertThat(px.get("0," + (ROWS - 1)).asText()).isEqualTo(hex(Heatmap.rgb(lo, lo, hi)));
    // the screenshot, kept as a test artefact
    Path shot = Path.of("target", "console-screenshot.png").toAbsolutePath();
    Files.createDirectories(shot.getParent());
    Files.deleteIfExists(shot);
    chromium(chromium, "--screenshot=" + shot, "--window-size=1400,1000", url);
    assertThat(shot).exists();
    BufferedImage img = ImageIO.read(shot.toFile());
    assertThat(img.getWidth()).isEqualTo(1400);
  }

  private static String hex(int rgb) {
    return String.format("#%06x", rgb);
  }

  private String chromium(Path chromium, String... args) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                chromium.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + dir.resolve("chromium-profile"),
                "--virtual-time-budget=10000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("chromium.log").toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("chromium.log"))).isZero();
    return new String(out, StandardCharsets.UTF_8);
  }
}
