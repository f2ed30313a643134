package org.zbig.server.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.CommandTree.Node;
import org.zbig.clicommon.MainExit;
import org.zbig.clicommon.Progress;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.StorageSpec;
import org.zbig.server.Tls;
import org.zbig.server.ZeoServer;
import org.zbig.server.http.StatusServer;
import org.zbig.server.storage.Compression;
import org.zbig.server.storage.FileStorageImport;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.PostgresStorage;
import org.zbig.server.storage.Storage;
import org.zbig.wire.Encoding;
import org.zbig.zodb.SuppressForbidden;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code bin/zbig-server}: the server's command line, its commands' models built in code ({@link
 * CommandTree}) along the path the arguments take.
 */
public final class Main {
  private Main() {}

  /** The command tree, each command's subcommands in the order help lists them. */
  static final Node TREE =
      new Node(
          "zbig-server",
          "A ZEO-compatible storage server for ZODB and zbig clients.",
          n -> CommandTree.command(new Main(), n),
          List.of(
              new Node("serve", "Serve a data folder.", Serve::model),
              new Node("import-fs", ImportFs.DESCRIPTION, ImportFs::model),
              new Node(
                  "pack", AdminCommands.PackCommand.DESCRIPTION, AdminCommands.PackCommand::model),
              new Node("analyze", AdminCommands.Analyze.DESCRIPTION, AdminCommands.Analyze::model),
              new Node("verify", AdminCommands.Verify.DESCRIPTION, AdminCommands.Verify::model),
              new Node("backup", BackupCommand.DESCRIPTION, BackupCommand::model)));

  /**
   * Runs the command line and exits with its status (returns, when it succeeded and no other thread
   * runs: {@link MainExit}).
   */
  public static void main(String[] args) {
    MainExit.end(run(args));
  }

  /** Runs the command line and returns its exit status; failures print one line, not a trace. */
  static int run(String... args) {
    CommandLine cmd =
        CommandTree.commandLine(TREE, args)
            .setExecutionExceptionHandler((e, c, parsed) -> {
              c.getErr()
                  .println(
                      "zbig-server: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
              return 1;
            });
    try {
      YamlDefaults.install(cmd, () -> CommandTree.full(TREE), "serve", args);
    } catch (CommandLine.ParameterException e) {
      try {
        return cmd.getParameterExceptionHandler().handleParseException(e, args);
      } catch (Exception unexpected) {
        throw new IllegalStateException(unexpected);
      }
    }
    return cmd.execute(args);
  }

  /** {@code import-fs}: copies a FileStorage with its history into a data folder. */
  static final class ImportFs implements Callable<Integer> {
    static final String DESCRIPTION =
        "Copy a FileStorage (Data.fs) with its whole history into an empty data folder that no"
            + " server has open.";

    Path dataFs;
    final DataFolderOption dataFolder = new DataFolderOption();
    final Jdbc jdbc = new Jdbc();
    CommandSpec spec;

    static CommandSpec model(Node node) {
      ImportFs c = new ImportFs();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(
          CommandTree.positional(
              PositionalParamSpec.builder()
                  .index("0")
                  .arity("1")
                  .required(true)
                  .type(Path.class)
                  .paramLabel("PATH/Data.fs")
                  .description("the file"),
              () -> c.dataFs,
              v -> c.dataFs = v));
      c.dataFolder.addTo(spec);
      c.jdbc.addTo(spec);
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(dataFs)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "PATH/Data.fs: '" + dataFs + "' (expected: an existing file)");
      }
      Path data = dataFolder.data;
      Files.createDirectories(data);
      long t0 = System.nanoTime();
      try (Storage target =
          jdbc.url != null
              ? jdbc.open(spec, data.toAbsolutePath())
              : KvStorage.rocks(data.toAbsolutePath())) {
        long size = Files.size(dataFs);
        FileStorageImport.Result r;
        try (ProgressBar pb = Progress.bar("import-fs", Math.max(1, 2 * size), true)) {
          r = FileStorageImport.run(dataFs, target, pb::stepTo);
        }
        spec.commandLine()
            .getOut()
            .printf(
                Locale.ROOT,
                "imported %d transactions, %d records from %s into %s (last tid %s) in %.1f s%n",
                r.transactions(),
                r.records(),
                dataFs,
                jdbc.url != null ? "postgres " + target.name() : data.toAbsolutePath(),
                r.lastTid().toHex(),
                (System.nanoTime() - t0) / 1e9);
        if (r.incompleteTailAt() >= 0) {
          spec.commandLine()
              .getOut()
              .printf(
                  Locale.ROOT,
                  "ignored an incomplete transaction at the end of the file (position %d), as"
                      + " ZODB does%n",
                  r.incompleteTailAt());
        }
      }
      return 0;
    }
  }

  /** The options of the PostgreSQL backend. */
  static final class Jdbc {
    String url;
    String user;
    String password;
    int poolSize;

    /** Adds the options to {@code spec}, bound to this object's fields. */
    void addTo(CommandSpec spec) {
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--jdbc-url")
                  .type(String.class)
                  .paramLabel("<url>")
                  .description(
                      "the PostgreSQL database, e.g. jdbc:postgresql://db:5432/zodb (add"
                          + " ?currentSchema=NAME for another schema than public)"),
              () -> url,
              v -> url = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--jdbc-user")
                  .type(String.class)
                  .paramLabel("<user>")
                  .description("the database user (default: from the URL)"),
              () -> user,
              v -> user = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--jdbc-password")
                  .type(String.class)
                  .paramLabel("<password>")
                  .description("the database password (default: from the URL or ~/.pgpass)"),
              () -> password,
              v -> password = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--jdbc-pool-size")
                  .type(int.class)
                  .paramLabel("<poolSize>")
                  .defaultValue("10")
                  .description("database connections per server (default: ${DEFAULT-VALUE})"),
              () -> poolSize,
              v -> poolSize = v));
    }

    /** Opens the database, its blob cache in {@code data}/blob-cache. */
    Storage open(CommandSpec spec, Path data) {
      if (url == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--jdbc-url: missing (expected: with --backend postgres)");
      }
      if (poolSize < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--jdbc-pool-size: " + poolSize + " (expected: >= 1)");
      }
      return PostgresStorage.open(url, user, password, poolSize, data.resolve("blob-cache"));
    }
  }

  /** {@code serve}: serves a data folder until interrupted. */
  @SuppressForbidden(
      "the serve command prints its ready and stopping lines, which scripts wait for")
  static final class Serve implements Callable<Integer> {
    // the options, in model() below
    Path config;
    CommandSpec spec;
    String listen;
    final DataFolderOption dataFolder = new DataFolderOption();
    String backend;
    final Jdbc jdbc = new Jdbc();
    String compression;
    String dedup;
    boolean clientConflictResolution;
    long commitGatherMicros;
    String storage;
    List<String> addStorage = new ArrayList<>();
    boolean msgpack;
    boolean readOnly;
    int queueSize;
    Double invalidationAge;
    Double transactionTimeout;
    Path tlsCert;
    Path tlsKey;
    Path tlsClientCa;
    String status;
    int maxConnections;
    long maxTransactionBytes;
    int maxRequestsInFlight;
    long registerTimeoutSeconds;
    int maxFrame;
    int writeBuffer;
    double shutdownGrace;
    boolean packGc;

    static CommandSpec model(Node node) {
      Serve c = new Serve();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--config")
                  .type(Path.class)
                  .paramLabel("<config>")
                  .description(
                      "a YAML file of settings, keyed by the option names without '--' (e.g. max-connections:"
                          + " 100); options given on the command line win"),
              () -> c.config,
              v -> c.config = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--listen")
                  .type(String.class)
                  .paramLabel("<listen>")
                  .defaultValue("127.0.0.1:8100")
                  .description("HOST:PORT (default: ${DEFAULT-VALUE})"),
              () -> c.listen,
              v -> c.listen = v));
      c.dataFolder.addTo(spec);
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--backend")
                  .type(String.class)
                  .paramLabel("<backend>")
                  .defaultValue("rocksdb")
                  .description(
                      "where the main storage lives: rocksdb (the data folder, one server) or postgres (the"
                          + " database at --jdbc-url, shareable by several servers; the data folder keeps"
                          + " only a blob cache) (default: ${DEFAULT-VALUE})"),
              () -> c.backend,
              v -> c.backend = v));
      c.jdbc.addTo(spec);
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--compression")
                  .type(String.class)
                  .paramLabel("<compression>")
                  .description(
                      "how the RocksDB storage compresses what it writes: none, lz4 or zstd (default: lz4;"
                          + " files written before keep theirs)"),
              () -> c.compression,
              v -> c.compression = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--dedup")
                  .type(String.class)
                  .paramLabel("on|off")
                  .description(
                      "whether the RocksDB storage keeps big records (8 KiB and more) as content-hashed 4 KiB"
                          + " chunks, each distinct chunk once: small changes to big blocks then add little"
                          + " (default: off; records stored before are read either way)"),
              () -> c.dedup,
              v -> c.dedup = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--client-conflict-resolution")
                  .type(boolean.class)
                  .paramLabel("<clientConflictResolution>")
                  .arity("0..1")
                  .defaultValue("false")
                  .fallbackValue("true")
                  .description(
                      "return every conflict to the client, even of the classes the server merges itself"
                          + " (B-tree buckets, BTrees.Length), as ZEO's client-conflict-resolution"),
              () -> c.clientConflictResolution,
              v -> c.clientConflictResolution = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--commit-gather")
                  .type(long.class)
                  .paramLabel("<commitGatherMicros>")
                  .defaultValue("1000")
                  .description(
                      "microseconds a group write may wait for the transactions still open to finish and"
                          + " share its synced write; never longer than a write takes; 0: never wait"
                          + " (default: ${DEFAULT-VALUE})"),
              () -> c.commitGatherMicros,
              v -> c.commitGatherMicros = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--storage")
                  .type(String.class)
                  .paramLabel("<storage>")
                  .defaultValue("1")
                  .description("storage name (default: ${DEFAULT-VALUE})"),
              () -> c.storage,
              v -> c.storage = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--add-storage")
                  .type(List.class)
                  .auxiliaryTypes(String.class)
                  .paramLabel("NAME=DIR[,read-only][,compression=C][,dedup=on|off]")
                  .splitRegex(YamlDefaults.LIST_SPLIT) // a YAML list of them is one default
                  .description(
                      "serve one more storage, named NAME, from the data folder DIR; repeatable; clients"
                          + " choose it by the name they register with"),
              () -> c.addStorage,
              v -> c.addStorage = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--msgpack")
                  .type(boolean.class)
                  .paramLabel("<msgpack>")
                  .arity("0..1")
                  .defaultValue("false")
                  .fallbackValue("true")
                  .description("offer M5 (msgpack) instead of Z5 (pickle)"),
              () -> c.msgpack,
              v -> c.msgpack = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--read-only")
                  .type(boolean.class)
                  .paramLabel("<readOnly>")
                  .arity("0..1")
                  .defaultValue("false")
                  .fallbackValue("true")
                  .description("refuse every write"),
              () -> c.readOnly,
              v -> c.readOnly = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--invalidation-queue-size")
                  .type(int.class)
                  .paramLabel("<queueSize>")
                  .defaultValue("100")
                  .description(
                      "transactions kept for getInvalidations (default: ${DEFAULT-VALUE})"),
              () -> c.queueSize,
              v -> c.queueSize = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--invalidation-age")
                  .type(Double.class)
                  .paramLabel("<invalidationAge>")
                  .description(
                      "seconds: a client whose last transaction is younger than this gets the changes since"
                          + " it read from the storage when the invalidation queue does not reach back so far"
                          + " (as ZEO's invalidation-age; default: never, the client drops its cache)"),
              () -> c.invalidationAge,
              v -> c.invalidationAge = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--transaction-timeout")
                  .type(Double.class)
                  .paramLabel("<transactionTimeout>")
                  .description(
                      "seconds a voted transaction may hold its object locks before its connection is"
                          + " closed; 0 means no limit, as for ZEO (default: no limit)"),
              () -> c.transactionTimeout,
              v -> c.transactionTimeout = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--tls-cert")
                  .type(Path.class)
                  .paramLabel("<tlsCert>")
                  .description("the server's certificate chain (PEM): serve TLS"),
              () -> c.tlsCert,
              v -> c.tlsCert = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--tls-key")
                  .type(Path.class)
                  .paramLabel("<tlsKey>")
                  .description("its private key (PEM: PKCS#8, or an RSA key in PKCS#1)"),
              () -> c.tlsKey,
              v -> c.tlsKey = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--tls-client-ca")
                  .type(Path.class)
                  .paramLabel("<tlsClientCa>")
                  .description("accept only clients with a certificate from this CA (PEM)"),
              () -> c.tlsClientCa,
              v -> c.tlsClientCa = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--status")
                  .type(String.class)
                  .paramLabel("<status>")
                  .description(
                      "HOST:PORT of an HTTP endpoint with /status (JSON) and /metrics (Prometheus)"),
              () -> c.status,
              v -> c.status = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--max-connections")
                  .type(int.class)
                  .paramLabel("<maxConnections>")
                  .defaultValue("1000")
                  .description("connections at once; more are refused (default: ${DEFAULT-VALUE})"),
              () -> c.maxConnections,
              v -> c.maxConnections = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--max-transaction-bytes")
                  .type(long.class)
                  .paramLabel("<maxTransactionBytes>")
                  .defaultValue("4294967296")
                  .description("bytes one transaction may store (default: ${DEFAULT-VALUE})"),
              () -> c.maxTransactionBytes,
              v -> c.maxTransactionBytes = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--max-requests-in-flight")
                  .type(int.class)
                  .paramLabel("<maxRequestsInFlight>")
                  .defaultValue("100")
                  .description(
                      "requests of one connection answered later (a vote waiting for the commit lock, a blob"
                          + " being sent, a blocking pack) plus its open iterators; more get an error"
                          + " (default: ${DEFAULT-VALUE})"),
              () -> c.maxRequestsInFlight,
              v -> c.maxRequestsInFlight = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--register-timeout")
                  .type(long.class)
                  .paramLabel("<registerTimeoutSeconds>")
                  .defaultValue("30")
                  .description(
                      "seconds a connection may stay without registering (handshake and register); then"
                          + " it is closed; 0: no limit (default: ${DEFAULT-VALUE})"),
              () -> c.registerTimeoutSeconds,
              v -> c.registerTimeoutSeconds = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--max-frame")
                  .type(int.class)
                  .paramLabel("<maxFrame>")
                  .defaultValue("268435456")
                  .description(
                      "bytes of the largest message accepted; a larger one disconnects its client"
                          + " (default: ${DEFAULT-VALUE})"),
              () -> c.maxFrame,
              v -> c.maxFrame = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--write-buffer")
                  .type(int.class)
                  .paramLabel("<writeBuffer>")
                  .defaultValue("16777216")
                  .description(
                      "bytes of replies buffered for a client before it is not read from until it reads them"
                          + " (default: ${DEFAULT-VALUE})"),
              () -> c.writeBuffer,
              v -> c.writeBuffer = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--shutdown-grace")
                  .type(double.class)
                  .paramLabel("<shutdownGrace>")
                  .defaultValue("10")
                  .description(
                      "seconds commits in progress get to finish on SIGTERM before they are aborted"
                          + " (default: ${DEFAULT-VALUE})"),
              () -> c.shutdownGrace,
              v -> c.shutdownGrace = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--pack-gc")
                  .type(boolean.class)
                  .paramLabel("<packGc>")
                  .arity("0..1")
                  .defaultValue("true")
                  .fallbackValue("true")
                  .description(
                      "pack also removes objects unreachable from the root (default: true)"),
              () -> c.packGc,
              v -> c.packGc = v));
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      InetSocketAddress listenAddress =
          AdminCommands.address(spec.commandLine(), "--listen", listen);
      InetSocketAddress statusAddress =
          status == null // checked before the server starts, not after
              ? null
              : AdminCommands.address(spec.commandLine(), "--status", status);
      if (commitGatherMicros < 0 || commitGatherMicros > 1_000_000) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--commit-gather: " + commitGatherMicros + " (expected: 0 to 1000000 microseconds)");
      }
      ServerConfig config =
          ServerConfig.inMemory().toBuilder()
              .listen(listenAddress.getHostString(), listenAddress.getPort())
              .data(dataFolder.data.toAbsolutePath())
              .storageName(storage)
              .offer(msgpack ? Encoding.MSGPACK : Encoding.PICKLE)
              .readOnly(readOnly)
              .invalidationQueueSize(queueSize)
              .transactionTimeout(
                  transactionTimeout == null || transactionTimeout == 0
                      ? null
                      : Duration.ofMillis((long) (transactionTimeout * 1000)))
              .packGc(packGc)
              .maxFrame(maxFrame)
              .invalidationAge(
                  invalidationAge == null || invalidationAge <= 0
                      ? null
                      : Duration.ofMillis((long) (invalidationAge * 1000)))
              .clientConflictResolution(clientConflictResolution)
              .commitGather(Duration.ofNanos(commitGatherMicros * 1000))
              .build();
      if (maxFrame < 1024) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--max-frame: " + maxFrame + " (expected: >= 1024)");
      }
      List<StorageSpec> more = new ArrayList<>();
      for (String a : addStorage) {
        try {
          more.add(StorageSpec.parse(a));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--add-storage: " + e.getMessage());
        }
      }
      Files.createDirectories(config.data());
      for (StorageSpec s : more) {
        Files.createDirectories(s.data());
      }
      CountDownLatch stop = new CountDownLatch(1);
      Limits limits;
      try {
        limits =
            new Limits(
                maxConnections,
                maxTransactionBytes,
                writeBuffer,
                maxRequestsInFlight,
                Duration.ofSeconds(registerTimeoutSeconds));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      Tls tls = null;
      if (tlsCert != null || tlsKey != null || tlsClientCa != null) {
        if (tlsCert == null || tlsKey == null) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--tls-cert and --tls-key: both are needed for TLS");
        }
        try {
          tls = new Tls(tlsCert, tlsKey, tlsClientCa);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
      }
      Storage main = null;
      if (!backend.equals("rocksdb") && !backend.equals("postgres")) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--backend: '" + backend + "' (expected: rocksdb or postgres)");
      }
      if (dedup != null && !dedup.equals("on") && !dedup.equals("off")) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--dedup: '" + dedup + "' (expected: on or off)");
      }
      if (backend.equals("postgres")) {
        if (dedup != null) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--dedup: given with --backend postgres (expected: rocksdb; see docs/dedup.md)");
        }
        if (compression != null) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--compression: given with --backend postgres (expected: rocksdb)");
        }
        main = jdbc.open(spec, config.data());
      } else if (jdbc.url != null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--jdbc-url: given with --backend rocksdb (expected: postgres)");
      } else if (compression != null || dedup != null) {
        Compression c;
        try {
          c = compression == null ? Compression.DEFAULT : Compression.parse(compression);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--compression: " + e.getMessage());
        }
        main = KvStorage.rocks(config.data(), c).dedup("on".equals(dedup));
      }
      ZeoServer server;
      try {
        server = ZeoServer.start(config, limits, tls, more, main);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      StatusServer statusServer = null;
      if (statusAddress != null) {
        try {
          statusServer =
              new StatusServer(
                  new InetSocketAddress(statusAddress.getHostString(), statusAddress.getPort()),
                  server,
                  tls);
        } catch (RuntimeException | IOException e) {
          server.close();
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--status: '" + status + "' (expected: a free HOST:PORT): " + e.getMessage());
        }
      }
      StatusServer statusToClose = statusServer;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    System.out.println("zbig-server stopping: no new connections");
                    System.out.flush();
                    if (statusToClose != null) {
                      statusToClose.close();
                    }
                    server.close(Duration.ofMillis((long) (shutdownGrace * 1000)));
                    System.out.println("zbig-server stopped");
                    System.out.flush();
                    stop.countDown();
                  },
                  "zbig-shutdown"));
      String web = (tls == null ? "http://" : "https://") + status;
      System.out.println(
          "zbig-server ready on "
              + server.address().getHostString()
              + ":"
              + server.address().getPort()
              + " serving storage '"
              + storage
              + "' from "
              + (main == null ? config.data() : "postgres " + main.name())
              + more.stream()
                  .map(s ->
                      ", '"
                          + s.name()
                          + "' from "
                          + s.data()
                          + (s.readOnly() ? " (read-only)" : ""))
                  .collect(Collectors.joining())
              + (statusServer == null
                  ? ""
                  : ", status on "
                      + web
                      + "/status"
                      + (statusServer.pages().contains("/console")
                          ? ", console on " + web + "/console"
                          : "")));
      System.out.flush();
      stop.await();
      return 0;
    }
  }
}
