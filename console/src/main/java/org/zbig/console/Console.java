package org.zbig.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.bigarray.ArrayHistory;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.ZBigArray;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.Persistent;
import org.zbig.client.PersistentMapping;
import org.zbig.client.bigfile.ZBlk0;
import org.zbig.client.bigfile.ZBlk1;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.Tls;
import org.zbig.server.ZeoServer;
import org.zbig.server.http.StatusPage;
import org.zbig.wire.History;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.DataRecord;

/** The web console: its page and its JSON and PNG API (see the package's overview). */
public final class Console implements StatusPage {
  private static final Logger LOG = LoggerFactory.getLogger(Console.class);

  /** The biggest picture served, in pixels. */
  static final long MAX_PIXELS = 4_000_000;

  /** wendelin.core's block size. */
  private static final long BLOCK = 2 << 20;

  /** The RAM of each page cache. */
  private static final long RAM = 512L << 20;

  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, Reader> readers = new ConcurrentHashMap<>();
  private final Map<String, Slices.Grid> pictures = new ConcurrentHashMap<>();
  private ZeoServer server;
  private Tls tls;
  private final Map<Long, VirtMem> vms = new LinkedHashMap<>(); // by block size; guarded by this

  /** For {@link java.util.ServiceLoader}. */
  public Console() {}

  @Override
  public String path() {
    return "/console";
  }

  @Override
  public void start(ZeoServer server, Tls tls) {
    this.server = server;
    this.tls = tls;
  }

  /** The storage's reader: a read-only client of the server, made at first use. */
  private final class Reader implements Connection.Synchronizer {
    final ReentrantLock lock = new ReentrantLock();
    final Database db;
    final Connection conn;
    // (snapshot, objects changed up to it) of the newest transactions, oldest first
    final Deque<Map.Entry<Tid, Set<Oid>>> changes = new ArrayDeque<>();

    Reader(String storage) {
      InetSocketAddress a = server.address();
      InetSocketAddress to =
          a.getAddress().isAnyLocalAddress() ? new InetSocketAddress("127.0.0.1", a.getPort()) : a;
      ClientOptions options =
          ClientOptions.defaults()
              .withStorage(storage)
              .withReadOnly(true, false)
              .withLabel("console")
              .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(120));
      if (tls != null) {
        options =
            tls.clientCa() == null
                ? options.withTls(tls.certificate(), null, null)
                : options.withTls(tls.certificate(), tls.certificate(), tls.key());
      }
      db = Database.open(List.of(to), options, 64L << 20);
      ZBigArray.register(db.registry());
      conn = db.open();
      conn.register(this);
    }

    /** Moves to the newest snapshot; under the lock. */
    void refresh() {
      conn.newTransaction();
    }

    @Override
    public void invalidated(Connection c, Set<Oid> oids) {
      changes.addLast(Map.entry(c.snapshot(), oids == null ? Set.of() : Set.copyOf(oids)));
      while (changes.size() > 1000) {
        changes.removeFirst();
      }
    }
  }

  /**
   * Runs {@code work} with the storage's reader at the newest snapshot, under the reader's lock.
   */
  private <T> T read(Map<String, String> q, Function<Reader, T> work) {
    Reader r = reader(q.getOrDefault("storage", "1"));
    r.lock.lock();
    try {
      r.refresh();
      return work.apply(r);
    } finally {
      r.lock.unlock();
    }
  }

  private Reader reader(String storage) {
    if (!server.status().containsKey(storage)) {
      throw new Slices.BadRequest(
          404,
          "storage '" + storage + "': unknown (expected: one of " + server.status().keySet() + ")");
    }
    return readers.computeIfAbsent(storage, Reader::new);
  }

  /** The page cache for files of {@code blksize} blocks (wendelin.core's are 2 MiB). */
  private synchronized VirtMem vm(long blksize) {
    return vms.computeIfAbsent(
        blksize, b -> new VirtMem(b, Math.max(RAM, 64 * b), b == BLOCK ? 2 : 0));
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET")) {
        send(ex, 405, "text/plain", "GET only".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String path = ex.getRequestURI().getPath();
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      try {
        switch (path) {
          case "/console", "/console/" -> page(ex);
          case "/console/api/objects" -> sendJson(ex, objects(q));
          case "/console/api/arrays" -> sendJson(ex, arrays(q));
          case "/console/api/array" -> sendJson(ex, array(q));
          case "/console/api/image.png" -> image(ex, q);
          case "/console/api/log" -> sendJson(ex, log(q));
          case "/console/api/wait" -> sendJson(ex, await(q));
          default -> throw new Slices.BadRequest(404, "no page " + path);
        }
      } catch (Slices.BadRequest e) {
        send(
            ex,
            e.status,
            "text/plain; charset=utf-8",
            e.getMessage().getBytes(StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        LOG.warn("console: {} failed: {}", ex.getRequestURI(), e.toString());
        send(
            ex,
            503,
            "text/plain; charset=utf-8",
            ("cannot answer now: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private void page(HttpExchange ex) throws IOException {
    try (InputStream in = Console.class.getResourceAsStream("console.html")) {
      send(ex, 200, "text/html; charset=utf-8", in.readAllBytes());
    }
  }

  // ---- objects ----

  private Map<String, Object> objects(Map<String, String> q) {
    return read(
        q,
        r -> {
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("tid", r.conn.snapshot().toHex());
          String oidText = q.get("oid");
          if (oidText == null) {
            List<Map<String, Object>> entries = new ArrayList<>();
            for (Map.Entry<Object, Object> e : r.conn.root().entries()) {
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("key", String.valueOf(e.getKey()));
              if (e.getValue() instanceof Persistent p && p.oid() != null) {
                d.putAll(describe(r, p.oid()));
              } else {
                d.put("value", String.valueOf(e.getValue()));
              }
              entries.add(d);
            }
            out.put("root", entries);
            return out;
          }
          Oid oid;
          try {
            oid = new Oid(Long.parseUnsignedLong(oidText, 16));
          } catch (NumberFormatException e) {
            throw new Slices.BadRequest(
                400, "oid '" + oidText + "' (expected: up to 16 hex digits)");
          }
          out.putAll(describe(r, oid));
          List<Map<String, Object>> history = new ArrayList<>();
          for (Map<String, Object> h : r.db.zeo().invoke(id -> new History(id, oid, 100))) {
            Map<String, Object> d = new LinkedHashMap<>();
            Tid tid = Tid.of(((Bytes) h.get("tid")).toByteArray());
            d.put("tid", tid.toHex());
            d.put("time", tid.toInstant().toString());
            d.put("user", text(h.get("user_name")));
            d.put("description", text(h.get("description")));
            d.put("size", h.get("size"));
            history.add(d);
          }
          out.put("history", history);
          return out;
        });
  }

  private Map<String, Object> describe(Reader r, Oid oid) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("oid", oid.toHex());
    try {
      Bytes record = r.db.loadRecord(oid, r.conn.snapshot()).data();
      d.put("class", DataRecord.decode(record).classMeta().className());
      d.put("size", record.length());
    } catch (NoSuchObjectException e) {
      throw new Slices.BadRequest(404, "object " + oid.toHex() + ": not in the database");
    }
    return d;
  }

  private static String text(Object v) {
    return v instanceof Bytes b
        ? new String(b.toByteArray(), StandardCharsets.UTF_8)
        : String.valueOf(v);
  }

  // ---- arrays ----

  private Map<String, Object> arrays(Map<String, String> q) {
    return read(
        q,
        r -> {
          List<Map<String, Object>> found = new ArrayList<>();
          collect(r.conn.root(), "", 0, found);
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("tid", r.conn.snapshot().toHex());
          out.put("arrays", found);
          return out;
        });
  }

  private void collect(
      PersistentMapping m, String prefix, int depth, List<Map<String, Object>> out) {
    for (Map.Entry<Object, Object> e : m.entries()) {
      String path = prefix + e.getKey();
      if (e.getValue() instanceof ZBigArray za) {
        out.add(info(path, za));
      } else if (e.getValue() instanceof PersistentMapping sub && depth < 3) {
        collect(sub, path + "/", depth + 1, out);
      }
    }
  }

  private static Map<String, Object> info(String path, ZBigArray za) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("path", path);
    d.put("oid", za.oid().toHex());
    d.put("shape", za.shape());
    d.put("dtype", za.dtype().str());
    d.put("order", String.valueOf(za.order()));
    long n = za.dtype().itemsize();
    for (long s : za.shape()) {
      n *= s;
    }
    d.put("nbytes", n);
    d.put("blksize", za.zfile().blockSize());
    d.put("blocks", za.zfile().blktab().size());
    d.put("format", format(za));
    return d;
  }

  private static String format(ZBigArray za) {
    Set<String> kinds = new HashSet<>();
    int seen = 0;
    for (Map.Entry<Object, Object> e : za.zfile().blktab().items()) {
      kinds.add(
          e.getValue() instanceof ZBlk1 ? "ZBlk1" : e.getValue() instanceof ZBlk0 ? "ZBlk0" : "?");
      if (++seen == 64) {
        break;
      }
    }
    return kinds.isEmpty() ? "-" : String.join("+", kinds.stream().sorted().toList());
  }

  /** The array at {@code path} (keys from the root, '/' between them). */
  private static ZBigArray find(Reader r, String path) {
    if (path == null || path.isEmpty()) {
      throw new Slices.BadRequest(400, "path: missing (expected: an array's key under the root)");
    }
    Object at = r.conn.root();
    for (String key : path.split("/", -1)) {
      if (!(at instanceof PersistentMapping m) || !m.containsKey(key)) {
        throw new Slices.BadRequest(404, "array '" + path + "': not found under the root");
      }
      at = m.get(key);
    }
    if (!(at instanceof ZBigArray za)) {
      throw new Slices.BadRequest(
          404, "'" + path + "': a " + at.getClass().getSimpleName() + " (expected: a ZBigArray)");
    }
    return za;
  }

  private record Picture(Map<String, Object> meta, Slices.Grid grid) {}

  /** The slice of the request, reduced; under the reader's lock. */
  private Picture picture(Reader r, Map<String, String> q) {
    String path = q.get("path");
    int w = intParam(q, "w", 1000);
    int h = intParam(q, "h", 1000);
    if (w < 1 || h < 1 || (long) w * h > MAX_PIXELS) {
      throw new Slices.BadRequest(
          400, "image " + w + "x" + h + " (expected: w and h >= 1, w*h <= " + MAX_PIXELS + ")");
    }
    String reduce = q.getOrDefault("reduce", "stride");
    if (!reduce.equals("stride") && !reduce.equals("mean")) {
      throw new Slices.BadRequest(400, "reduce '" + reduce + "' (expected: stride or mean)");
    }
    ZBigArray za = find(r, path);
    if (!za.dtype().fields().isEmpty()) {
      throw new Slices.BadRequest(
          400, "dtype " + za.dtype().str() + " of '" + path + "' (expected: numbers, not records)");
    }
    String index = q.getOrDefault("index", "");
    List<Slices.Axis> axes = Slices.parse(za.shape(), index);
    long t0 = System.nanoTime();
    BigArray a = za.open(vm(za.zfile().blockSize()));
    Slices.Grid grid = Slices.reduce(a, axes, h, w, reduce.equals("mean"));
    double[] range = grid.range();
    Map<String, Object> meta = new LinkedHashMap<>(info(path, za));
    meta.put("tid", r.conn.snapshot().toHex());
    meta.put("index", index);
    meta.put("slice", grid.sliceShape());
    meta.put("reduce", reduce);
    meta.put("step", new long[] {grid.rowStep(), grid.colStep()});
    meta.put("rows", grid.rows());
    meta.put("cols", grid.cols());
    meta.put("min", range[0]);
    meta.put("max", range[1]);
    meta.put("ms", (System.nanoTime() - t0) / 1e6);
    if (grid.sliceShape().length == 1) {
      meta.put("values", grid.values());
    }
    return new Picture(meta, grid);
  }

  private Map<String, Object> array(Map<String, String> q) {
    return read(
        q,
        r -> {
          Picture p = picture(r, q);
          pictures.put(key(q, p.meta().get("tid")), p.grid());
          while (pictures.size() > 8) {
            pictures.remove(pictures.keySet().iterator().next());
          }
          return p.meta();
        });
  }

  private static String key(Map<String, String> q, Object tid) {
    return q.getOrDefault("storage", "1")
        + "|"
        + q.get("path")
        + "|"
        + q.getOrDefault("index", "")
        + "|"
        + q.getOrDefault("reduce", "stride")
        + "|"
        + q.get("w")
        + "|"
        + q.get("h")
        + "|"
        + tid;
  }

  private void image(HttpExchange ex, Map<String, String> q) throws IOException {
    byte[] png =
        read(
            q,
            r -> {
              Slices.Grid grid = pictures.get(key(q, r.conn.snapshot().toHex()));
              if (grid == null) {
                grid = picture(r, q).grid();
              }
              double[] range = grid.range();
              return Heatmap.png(grid, range[0], range[1]);
            });
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    send(ex, 200, "image/png", png);
  }

  private Map<String, Object> log(Map<String, String> q) {
    return read(
        q,
        r -> {
          ZBigArray za = find(r, q.get("path"));
          int axis = za.majorAxis();
          List<Map<String, Object>> out = new ArrayList<>();
          for (ArrayHistory.Change c : ArrayHistory.log(r.conn, za)) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("tid", c.tid().toHex());
            d.put("time", c.time().toString());
            d.put("user", c.user());
            d.put("description", c.description());
            d.put("before", c.shapeBefore());
            d.put("after", c.shapeAfter());
            d.put("rowsAdded", c.rowsAdded(axis));
            out.add(d);
          }
          return Map.of("path", q.get("path"), "log", out);
        });
  }

  /**
   * Waits (up to {@code timeout}, at most 25 s) until a transaction after {@code since} changed the
   * array at {@code path}: the array object, its file, its block table or one of its blocks.
   */
  private Map<String, Object> await(Map<String, String> q) {
    Reader r = reader(q.getOrDefault("storage", "1"));
    Tid since;
    try {
      since = Tid.ofHex(q.getOrDefault("since", ""));
    } catch (IllegalArgumentException e) {
      throw new Slices.BadRequest(
          400, "since '" + q.get("since") + "' (expected: a tid, 16 hex digits)");
    }
    int seconds = intParam(q, "timeout", 25);
    if (seconds < 0 || seconds > 25) {
      throw new Slices.BadRequest(400, "timeout " + seconds + " (expected: 0 to 25 seconds)");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    while (true) {
      Tid now;
      r.lock.lock();
      try {
        r.refresh();
        now = r.conn.snapshot();
        ZBigArray za = find(r, q.get("path"));
        Set<Oid> mine = new HashSet<>();
        mine.add(za.oid());
        mine.add(za.zfile().oid());
        mine.add(za.zfile().blktab().oid());
        for (Map.Entry<Object, Object> e : za.zfile().blktab().items()) {
          if (e.getValue() instanceof Persistent p && p.oid() != null) {
            mine.add(p.oid());
          }
        }
        for (Map.Entry<Tid, Set<Oid>> c : r.changes) {
          if (c.getKey().compareTo(since) > 0 && c.getValue().stream().anyMatch(mine::contains)) {
            return Map.of("changed", true, "tid", now.toHex());
          }
        }
      } finally {
        r.lock.unlock();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Map.of("changed", false, "tid", now.toHex());
      }
      try {
        r.db.awaitNewer(now, Duration.ofNanos(left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Map.of("changed", false, "tid", now.toHex());
      }
    }
  }

  // ---- plumbing ----

  private static int intParam(Map<String, String> q, String name, int dflt) {
    String v = q.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new Slices.BadRequest(400, name + " '" + v + "' (expected: an integer)");
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      try {
        q.put(
            URLDecoder.decode(k, StandardCharsets.UTF_8),
            URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new Slices.BadRequest(400, "query '" + raw + "': " + e.getMessage());
      }
    }
    return q;
  }

  private void sendJson(HttpExchange ex, Object body) throws IOException {
    send(ex, 200, "application/json", json.writeValueAsBytes(body));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    for (Reader r : readers.values()) {
      try {
        r.db.close();
      } catch (RuntimeException e) {
        LOG.debug("console: closing the reader of a storage: {}", e.toString());
      }
    }
    readers.clear();
    synchronized (this) {
      vms.values().forEach(VirtMem::close);
      vms.clear();
    }
  }
}
