package org.zbig.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import org.zbig.bigarray.ArrayFiles;
import org.zbig.bigarray.ArrayHistory;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.NDArray;
import org.zbig.bigarray.Npy;
import org.zbig.bigarray.ZBigArray;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.CommandTree.Node;
import org.zbig.clicommon.Progress;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.Persistent;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.zblk.ZBlkFormat;
import org.zbig.zodb.Tid;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code ls} and {@code array ...}: arrays under the root of the database. */
final class ArrayCommands {
  private ArrayCommands() {}

  static final long BLKSIZE = 2 << 20;

  /**
   * A database, a connection and virtmem for one command; virtmem made on first use (commands that
   * only read objects, such as {@code info}, start without it).
   */
  static final class Session implements AutoCloseable {
    final Database db;
    final Connection conn;
    private VirtMem vm;

    private Session(Database db, Connection conn) {
      this.db = db;
      this.conn = conn;
    }

    Database db() {
      return db;
    }

    Connection conn() {
      return conn;
    }

    /** The session's virtmem, made on the first call. */
    VirtMem vm() {
      if (vm == null) {
        vm = new VirtMem(BLKSIZE, 512L << 20, 2);
      }
      return vm;
    }

    static Session open(Main main) {
      return open(main, null);
    }

    /**
     * A session whose connection is the database now, or a read-only view as of {@code at} (a tid
     * of 16 hex digits or an ISO 8601 time; see {@link #parseAt}).
     */
    static Session open(Main main, String at) {
      // parsed before connecting: bad input fails first
      Function<Database, Connection> opening = at == null ? Database::open : parseAt(at);
      Database db =
          Database.open(
              main.addresses(),
              main.tls(
                  ClientOptions.defaults()
                      .withStorage(main.storage)
                      .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(120))),
              64 << 20);
      ZBigArray.register(db.registry());
      try {
        return new Session(db, opening.apply(db));
      } catch (RuntimeException e) {
        db.close();
        throw e;
      }
    }

    /**
     * How a {@code --at} value opens its historical connection: at a {@link Tid} from 16 hex
     * digits, or at an {@link Instant} from an ISO 8601 time with or without an offset (without one
     * it is UTC, as tids are), or a date (its start, UTC).
     *
     * @throws IllegalArgumentException naming the value and what is expected
     */
    static Function<Database, Connection> parseAt(String at) {
      String v = at.strip();
      if (v.matches("[0-9a-fA-F]{16}")) {
        Tid tid = Tid.ofHex(v);
        return db -> db.open(tid);
      }
      Instant time;
      try {
        time = OffsetDateTime.parse(v).toInstant();
      } catch (DateTimeParseException notWithOffset) {
        try {
          time = LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException notLocal) {
          try {
            time = LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
          } catch (DateTimeParseException notDate) {
            throw new IllegalArgumentException(
                "--at '"
                    + at
                    + "': expected a tid (16 hex digits) or a time (ISO 8601, for example"
                    + " 2026-12-02T10:15:30Z, 2026-12-02T10:15 in UTC, or 2026-12-02)");
          }
        }
      }
      Instant then = time;
      return db -> db.open(then);
    }

    ZBigArray array(String name) {
      return array(conn, name);
    }

    ZBigArray array(Connection c, String name) {
      Object o = c.root().get(name);
      if (!(o instanceof ZBigArray za)) {
        throw new IllegalArgumentException(
            "root['"
                + name
                + "']: "
                + (o == null ? "absent" : o.getClass().getSimpleName())
                + " (expected: a ZBigArray)");
      }
      return za;
    }

    @Override
    public void close() {
      conn.close();
      if (vm != null) {
        vm.close();
      }
      db.close();
    }
  }

  static String describe(ZBigArray a) {
    return "ZBigArray shape="
        + Arrays.toString(a.shape())
        + " dtype="
        + a.dtype()
        + " order="
        + a.order();
  }

  /** Work that reports its progress in bytes. */
  @FunctionalInterface
  interface Work {
    void run(LongConsumer progress) throws IOException;
  }

  /** The two arguments of the commands that move an array to or from a file. */
  static final class NameAndFile {
    String name;
    Path file;

    NameAndFile() {}

    /** Adds {@code NAME FILE.npy} to {@code spec}, bound to this object's fields. */
    void addTo(CommandSpec spec) {
      spec.addPositional(name(() -> name, v -> name = v));
      spec.addPositional(
          CommandTree.positional(
              PositionalParamSpec.builder()
                  .index("1")
                  .arity("1")
                  .required(true)
                  .type(Path.class)
                  .paramLabel("FILE.npy"),
              () -> file,
              v -> file = v));
    }
  }

  /** The {@code NAME} parameter, first of the arguments. */
  static PositionalParamSpec name(Supplier<String> get, Consumer<String> set) {
    return CommandTree.positional(
        PositionalParamSpec.builder()
            .index("0")
            .arity("1")
            .required(true)
            .type(String.class)
            .paramLabel("NAME"),
        get,
        set);
  }

  /** A {@code --at TID|TIME} option with this help. */
  static OptionSpec at(String help, Supplier<String> get, Consumer<String> set) {
    return CommandTree.option(
        OptionSpec.builder("--at").type(String.class).paramLabel("TID|TIME").description(help),
        get,
        set);
  }

  /** The {@code --zblk-fmt} option. */
  static OptionSpec zblkFmt(Supplier<String> get, Consumer<String> set) {
    return CommandTree.option(
        OptionSpec.builder("--zblk-fmt")
            .type(String.class)
            .paramLabel("<zblkFmt>")
            .description("ZBlk0, ZBlk1 or auto (default: $WENDELIN_CORE_ZBLK_FMT, else ZBlk0)"),
        get,
        set);
  }

  /** Prints {@code NAME<tab>shape, dtype, ...} of an array a command made or changed. */
  static void report(CommandSpec spec, String name, ZBigArray a) {
    spec.commandLine().getOut().println(name + "\t" + describe(a));
    spec.commandLine().getOut().flush();
  }

  /**
   * Runs {@code work} with a progress bar of {@code total} bytes on the error stream: redrawn in
   * place on a terminal, a plain line every 10 s otherwise.
   *
   * @throws java.io.UncheckedIOException wrapping what {@code work} threw
   */
  static void withProgress(String task, long total, Work work) {
    try (ProgressBar pb = Progress.bar(task, Math.max(1, total), true)) {
      work.run(pb::stepTo);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code ls}: the root's keys with their classes, arrays with shape and type. */
  static final class Ls implements Callable<Integer> {
    CommandSpec spec;

    Ls() {}

    static CommandSpec model(Node node) {
      Ls c = new Ls();
      c.spec = CommandTree.command(c, node);
      return c.spec;
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (Session s = Session.open(Main.of(spec))) {
        for (Map.Entry<Object, Object> e : s.conn.root().entries()) {
          Object v = e.getValue();
          String what =
              v instanceof ZBigArray za
                  ? describe(za)
                  : v instanceof Persistent p ? p.getClass().getSimpleName() : String.valueOf(v);
          out.println(e.getKey() + "\t" + what);
        }
      }
      out.flush();
      return 0;
    }
  }

  static ZBlkFormat format(String s) {
    return s == null ? ZBlkFormat.fromEnvironment() : ZBlkFormat.parse(s);
  }

  static final class Create implements Callable<Integer> {
    CommandSpec spec;
    String name;
    long[] shape;
    String dtype;
    char order;
    String zblkFmt;

    Create() {}

    static CommandSpec model(Node node) {
      Create c = new Create();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(name(() -> c.name, v -> c.name = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--shape")
                  .type(long[].class)
                  .paramLabel("<shape>")
                  .required(true)
                  .splitRegex(",")
                  .description("e.g. 1000,300"),
              () -> c.shape,
              v -> c.shape = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--dtype")
                  .type(String.class)
                  .paramLabel("<dtype>")
                  .defaultValue("<f8")
                  .description("numpy type string (default: ${DEFAULT-VALUE})"),
              () -> c.dtype,
              v -> c.dtype = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--order")
                  .type(char.class)
                  .paramLabel("<order>")
                  .defaultValue("C")
                  .description("C or F (default: ${DEFAULT-VALUE})"),
              () -> c.order,
              v -> c.order = v));
      spec.addOption(zblkFmt(() -> c.zblkFmt, v -> c.zblkFmt = v));
      return spec;
    }

    @Override
    public Integer call() {
      try (Session s = Session.open(Main.of(spec))) {
        if (s.conn.root().containsKey(name)) {
          throw new IllegalArgumentException("root['" + name + "'] exists already");
        }
        ZBigArray a = new ZBigArray(shape, DType.scalar(dtype), order, BLKSIZE);
        a.zfile().setFormat(format(zblkFmt));
        s.conn.root().put(name, a);
        s.conn.commit("create " + name);
        report(spec, name, a);
      }
      return 0;
    }
  }

  static final class Import implements Callable<Integer> {
    CommandSpec spec;
    final NameAndFile args = new NameAndFile();
    String zblkFmt;

    Import() {}

    static CommandSpec model(Node node) {
      Import c = new Import();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      c.args.addTo(spec);
      spec.addOption(zblkFmt(() -> c.zblkFmt, v -> c.zblkFmt = v));
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      ZBlkFormat fmt = format(zblkFmt);
      long total = Npy.readHeader(args.file).nbytes();
      try (Session s = Session.open(Main.of(spec))) {
        ZBigArray[] made = new ZBigArray[1];
        withProgress(
            "import " + args.name,
            total,
            p ->
                made[0] =
                    ArrayFiles.importNpy(s.conn, args.name, args.file, fmt, s.vm(), BLKSIZE, p));
        report(spec, args.name, made[0]);
      }
      return 0;
    }
  }

  static final class Append implements Callable<Integer> {
    CommandSpec spec;
    final NameAndFile args = new NameAndFile();

    Append() {}

    static CommandSpec model(Node node) {
      Append c = new Append();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      c.args.addTo(spec);
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      long total = Npy.readHeader(args.file).nbytes();
      try (Session s = Session.open(Main.of(spec))) {
        ZBigArray za = s.array(args.name);
        BigArray a = za.open(s.vm());
        withProgress(
            "append " + args.name, total, p -> ArrayFiles.appendNpy(s.conn, za, a, args.file, p));
        report(spec, args.name, za);
      }
      return 0;
    }
  }

  static final class Export implements Callable<Integer> {
    CommandSpec spec;
    final NameAndFile args = new NameAndFile();
    String index;
    String at;

    Export() {}

    static CommandSpec model(Node node) {
      Export c = new Export();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      c.args.addTo(spec);
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--index")
                  .type(String.class)
                  .paramLabel("<index>")
                  .description("numpy basic indexing, e.g. 10:20,::-1,3"),
              () -> c.index,
              v -> c.index = v));
      spec.addOption(at(AT_HELP, () -> c.at, v -> c.at = v));
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      try (Session s = Session.open(Main.of(spec), at)) {
        ZBigArray za = s.array(args.name);
        BigArray a = za.open(s.vm());
        withProgress(
            "export " + args.name, a.nbytes(), p -> ArrayFiles.exportNpy(a, index, args.file, p));
        spec.commandLine().getOut().println(args.file + "\t" + Files.size(args.file) + " bytes");
        spec.commandLine().getOut().flush();
      }
      return 0;
    }
  }

  static final class Info implements Callable<Integer> {
    CommandSpec spec;
    String name;
    String at;

    Info() {}

    static CommandSpec model(Node node) {
      Info c = new Info();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(name(() -> c.name, v -> c.name = v));
      spec.addOption(at(AT_HELP, () -> c.at, v -> c.at = v));
      return spec;
    }

    @Override
    public Integer call() {
      try (Session s = Session.open(Main.of(spec), at)) {
        ZBigArray za = s.array(name);
        PrintWriter out = spec.commandLine().getOut();
        out.println("name\t" + name);
        out.println("at\t" + s.conn.snapshot());
        out.println("shape\t" + Arrays.toString(za.shape()));
        out.println("dtype\t" + za.dtype());
        out.println("order\t" + za.order());
        out.println("stridev\t" + Arrays.toString(za.stridev()));
        out.println("blksize\t" + za.zfile().blockSize());
        out.println("blocks\t" + za.zfile().blktab().size());
        out.flush();
      }
      return 0;
    }
  }

  /** The help of the {@code --at} options. */
  static final String AT_HELP =
      "the array as it was at a transaction (16 hex digits) or a time (ISO 8601, UTC unless an"
          + " offset is given)";

  /**
   * {@code array log}: the transactions that changed an array, oldest first, with the shape before
   * and after each.
   */
  static final class Log implements Callable<Integer> {
    static final String DESCRIPTION =
        "List the transactions that changed an array: tid, time, user, description, shape"
            + " before -> after.";

    CommandSpec spec;
    String name;
    String at;

    Log() {}

    static CommandSpec model(Node node) {
      Log c = new Log();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(name(() -> c.name, v -> c.name = v));
      spec.addOption(at("the history up to then", () -> c.at, v -> c.at = v));
      return spec;
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (Session s = Session.open(Main.of(spec), at)) {
        ZBigArray za = s.array(name);
        for (ArrayHistory.Change c : ArrayHistory.log(s.conn, za)) {
          out.println(
              c.tid().toHex()
                  + "\t"
                  + c.time()
                  + "\t"
                  + c.user()
                  + "\t"
                  + c.description()
                  + "\t"
                  + (c.shapeBefore() == null ? "absent" : Arrays.toString(c.shapeBefore()))
                  + " -> "
                  + Arrays.toString(c.shapeAfter()));
        }
      }
      out.flush();
      return 0;
    }
  }

  /**
   * {@code array bench}: what a user's own array and server give: a sequential scan (a sum through
   * read-only views of {@code --view} MiB, the next one prefetched) and the fault-in latency of
   * single blocks (each one evicted first, so that every sample loads it from the server).
   */
  static final class Bench implements Callable<Integer> {
    CommandSpec spec;
    String name;
    long viewMiB;
    int samples;
    int passes;

    Bench() {}

    static CommandSpec model(Node node) {
      Bench c = new Bench();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(name(() -> c.name, v -> c.name = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--view")
                  .type(long.class)
                  .paramLabel("<viewMiB>")
                  .defaultValue("64")
                  .description("MiB per view of the scan (default: ${DEFAULT-VALUE})"),
              () -> c.viewMiB,
              v -> c.viewMiB = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--samples")
                  .type(int.class)
                  .paramLabel("<samples>")
                  .defaultValue("200")
                  .description(
                      "blocks loaded one at a time for the latency (default: ${DEFAULT-VALUE})"),
              () -> c.samples,
              v -> c.samples = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--passes")
                  .type(int.class)
                  .paramLabel("<passes>")
                  .defaultValue("1")
                  .description(
                      "scans of the whole array, each loading every block from the server again;"
                          + " the first also runs the JIT compiler on the data path (default:"
                          + " ${DEFAULT-VALUE})"),
              () -> c.passes,
              v -> c.passes = v));
      return spec;
    }

    @Override
    public Integer call() {
      if (viewMiB < 1 || samples < 1 || passes < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--view "
                + viewMiB
                + ", --samples "
                + samples
                + ", --passes "
                + passes
                + " (expected: all >= 1)");
      }
      PrintWriter out = spec.commandLine().getOut();
      try (Session s = Session.open(Main.of(spec))) {
        ZBigArray za = s.array(name);
        BigArray a = za.open(s.vm());
        long bytes = a.nbytes();
        for (int pass = 1; pass <= passes; pass++) {
          s.vm().reclaim(Long.MAX_VALUE); // no page of the array in RAM: each pass loads them all
          double[] sum = {0};
          long t0 = System.nanoTime();
          withProgress(
              passes == 1 ? "scan " + name : "scan " + name + " (" + pass + "/" + passes + ")",
              bytes,
              p -> {
                long bytesPerRow = a.shape().length == 0 ? 1 : bytes / Math.max(1, rows(a));
                a.forEachChunk(
                    viewMiB << 20,
                    piece -> sum[0] += piece.dtype().fields().isEmpty() ? sumOf(piece) : 0,
                    rowsDone -> p.accept(rowsDone * bytesPerRow));
              });
          double scanS = (System.nanoTime() - t0) / 1e9;
          out.printf(
              Locale.ROOT,
              "scan\t%s%.2f GiB in %.2f s: %.0f MB/s (sum %s)%n",
              passes == 1 ? "" : "pass " + pass + " of " + passes + ": ",
              bytes / (double) (1L << 30),
              scanS,
              bytes / scanS / 1e6,
              sum[0]);
          out.flush();
        }
        long blocks = (bytes + a.blockSize() - 1) / a.blockSize();
        if (blocks == 0) {
          out.flush();
          return 0;
        }
        Random r = new Random(1);
        long[] ns = new long[samples];
        // one block alone: a cache of its own without read-ahead, in a connection of its own
        try (Connection c = s.db.open();
            VirtMem alone = new VirtMem(a.blockSize(), 64L * a.blockSize(), 0)) {
          var file = s.array(c, name).open(alone).file();
          for (int i = 0; i < samples; i++) {
            long blk = (long) (r.nextDouble() * blocks);
            alone.reclaim(Long.MAX_VALUE); // no page in RAM (their memory kept): a load
            long t = System.nanoTime();
            file.map(blk, 1, false).close();
            ns[i] = System.nanoTime() - t;
          }
        }
        Arrays.sort(ns);
        out.printf(
            Locale.ROOT,
            "fault-in\tone block of %d KiB, %d samples: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
            a.blockSize() >> 10,
            samples,
            ns[samples / 2] / 1e6,
            ns[Math.min(samples - 1, (int) Math.ceil(samples * 0.99) - 1)] / 1e6,
            ns[samples - 1] / 1e6);
        out.flush();
      }
      return 0;
    }

    private static long rows(BigArray a) {
      long[] shape = a.shape();
      return shape[a.order() == 'C' ? 0 : shape.length - 1];
    }

    private static double sumOf(NDArray piece) {
      return piece.sum();
    }
  }
}
