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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/zbig-server}: the server's command line. */
@Command(
    name = "zbig-server",
    mixinStandardHelpOptions = true,
    subcommands = {
      Main.Serve.class,
      Main.ImportFs.class,
      AdminCommands.PackCommand.class,
      AdminCommands.Analyze.class,
      AdminCommands.Verify.class,
      BackupCommand.class
    },
    description = "A ZEO-compatible storage server for ZODB and zbig clients.")
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status; failures print one line, not a trace. */
  static int run(String... args) {
    CommandLine cmd =
        new CommandLine(new Main())
            .setExecutionExceptionHandler((e, c, parsed) -> {
              c.getErr()
                  .println(
                      "zbig-server: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
              return 1;
            });
    try {
      YamlDefaults.install(cmd, "serve", args);
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
  @Command(
      name = "import-fs",
      mixinStandardHelpOptions = true,
      description =
          "Copy a FileStorage (Data.fs) with its whole history into an empty data folder that no"
              + " server has open.")
  static final class ImportFs implements Callable<Integer> {
    @CommandLine.Parameters(index = "0", paramLabel = "PATH/Data.fs", description = "the file")
    Path dataFs;

    @CommandLine.Mixin DataFolderOption dataFolder;

    @CommandLine.Mixin Jdbc jdbc = new Jdbc();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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
    @Option(
        names = "--jdbc-url",
        description =
            "the PostgreSQL database, e.g. jdbc:postgresql://db:5432/zodb (add"
                + " ?currentSchema=NAME for another schema than public)")
    String url;

    @Option(names = "--jdbc-user", description = "the database user (default: from the URL)")
    String user;

    @Option(
        names = "--jdbc-password",
        description = "the database password (default: from the URL or ~/.pgpass)")
    String password;

    @Option(
        names = "--jdbc-pool-size",
        defaultValue = "10",
        description = "database connections per server (default: ${DEFAULT-VALUE})")
    int poolSize;

    /** Opens the database, its blob cache in {@code data}/blob-cache. */
    Storage open(CommandLine.Model.CommandSpec spec, Path data) {
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
  @Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve a data folder.")
  @SuppressForbidden(
      "the serve command prints its ready and stopping lines, which scripts wait for")
  static final class Serve implements Callable<Integer> {
    @Option(
        names = "--config",
        description =
            "a YAML file of settings, keyed by the option names without '--' (e.g. max-connections:"
                + " 100); options given on the command line win")
    Path config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--listen",
        defaultValue = "127.0.0.1:8100",
        description = "HOST:PORT (default: ${DEFAULT-VALUE})")
    String listen;

    @CommandLine.Mixin DataFolderOption dataFolder;

    @Option(
        names = "--backend",
        defaultValue = "rocksdb",
        description =
            "where the main storage lives: rocksdb (the data folder, one server) or postgres (the"
                + " database at --jdbc-url, shareable by several servers; the data folder keeps"
                + " only a blob cache) (default: ${DEFAULT-VALUE})")
    String backend;

    @CommandLine.Mixin Jdbc jdbc = new Jdbc();

    @Option(
        names = "--compression",
        description =
            "how the RocksDB storage compresses what it writes: none, lz4 or zstd (default: lz4;"
                + " files written before keep theirs)")
    String compression;

    @Option(
        names = "--dedup",
        paramLabel = "on|off",
        description =
            "whether the RocksDB storage keeps big records (8 KiB and more) as content-hashed 4 KiB"
                + " chunks, each distinct chunk once: small changes to big blocks then add little"
                + " (default: off; records stored before are read either way)")
    String dedup;

    @Option(
        names = "--client-conflict-resolution",
        arity = "0..1",
        defaultValue = "false",
        fallbackValue = "true",
        description =
            "return every conflict to the client, even of the classes the server merges itself"
                + " (B-tree buckets, BTrees.Length), as ZEO's client-conflict-resolution")
    boolean clientConflictResolution;

    @Option(
        names = "--commit-gather",
        defaultValue = "1000",
        description =
            "microseconds a group write may wait for the transactions still open to finish and"
                + " share its synced write; never longer than a write takes; 0: never wait"
                + " (default: ${DEFAULT-VALUE})")
    long commitGatherMicros;

    @Option(
        names = "--storage",
        defaultValue = "1",
        description = "storage name (default: ${DEFAULT-VALUE})")
    String storage;

    @Option(
        names = "--add-storage",
        split = YamlDefaults.LIST_SPLIT, // a YAML list of them is one default, a line each
        paramLabel = "NAME=DIR[,read-only][,compression=C][,dedup=on|off]",
        description =
            "serve one more storage, named NAME, from the data folder DIR; repeatable; clients"
                + " choose it by the name they register with")
    List<String> addStorage = new ArrayList<>();

    @Option(
        names = "--msgpack",
        arity = "0..1",
        defaultValue = "false",
        fallbackValue = "true",
        description = "offer M5 (msgpack) instead of Z5 (pickle)")
    boolean msgpack;

    @Option(
        names = "--read-only",
        arity = "0..1",
        defaultValue = "false",
        fallbackValue = "true",
        description = "refuse every write")
    boolean readOnly;

    @Option(
        names = "--invalidation-queue-size",
        defaultValue = "100",
        description = "transactions kept for getInvalidations (default: ${DEFAULT-VALUE})")
    int queueSize;

    @Option(
        names = "--invalidation-age",
        description =
            "seconds: a client whose last transaction is younger than this gets the changes since"
                + " it read from the storage when the invalidation queue does not reach back so far"
                + " (as ZEO's invalidation-age; default: never, the client drops its cache)")
    Double invalidationAge;

    @Option(
        names = "--transaction-timeout",
        description =
            "seconds a voted transaction may hold its object locks before its connection is"
                + " closed; 0 means no limit, as for ZEO (default: no limit)")
    Double transactionTimeout;

    @Option(names = "--tls-cert", description = "the server's certificate chain (PEM): serve TLS")
    Path tlsCert;

    @Option(
        names = "--tls-key",
        description = "its private key (PEM: PKCS#8, or an RSA key in PKCS#1)")
    Path tlsKey;

    @Option(
        names = "--tls-client-ca",
        description = "accept only clients with a certificate from this CA (PEM)")
    Path tlsClientCa;

    @Option(
        names = "--status",
        description = "HOST:PORT of an HTTP endpoint with /status (JSON) and /metrics (Prometheus)")
    String status;

    @Option(
        names = "--max-connections",
        defaultValue = "1000",
        description = "connections at once; more are refused (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(
        names = "--max-transaction-bytes",
        defaultValue = "4294967296",
        description = "bytes one transaction may store (default: ${DEFAULT-VALUE})")
    long maxTransactionBytes;

    @Option(
        names = "--max-requests-in-flight",
        defaultValue = "100",
        description =
            "requests of one connection answered later (a vote waiting for the commit lock, a blob"
                + " being sent, a blocking pack) plus its open iterators; more get an error"
                + " (default: ${DEFAULT-VALUE})")
    int maxRequestsInFlight;

    @Option(
        names = "--register-timeout",
        defaultValue = "30",
        description =
            "seconds a connection may stay without registering (handshake and register); then"
                + " it is closed; 0: no limit (default: ${DEFAULT-VALUE})")
    long registerTimeoutSeconds;

    @Option(
        names = "--max-frame",
        defaultValue = "268435456",
        description =
            "bytes of the largest message accepted; a larger one disconnects its client"
                + " (default: ${DEFAULT-VALUE})")
    int maxFrame;

    @Option(
        names = "--write-buffer",
        defaultValue = "16777216",
        description =
            "bytes of replies buffered for a client before it is not read from until it reads them"
                + " (default: ${DEFAULT-VALUE})")
    int writeBuffer;

    @Option(
        names = "--shutdown-grace",
        defaultValue = "10",
        description =
            "seconds commits in progress get to finish on SIGTERM before they are aborted"
                + " (default: ${DEFAULT-VALUE})")
    double shutdownGrace;

    @Option(
        names = "--pack-gc",
        arity = "0..1",
        defaultValue = "true",
        fallbackValue = "true",
        description = "pack also removes objects unreachable from the root (default: true)")
    boolean packGc;

    @Override
    public Integer call() throws Exception {
      InetSocketAddress listenAddress =
          AdminCommands.address(new CommandLine(this), "--listen", listen);
      InetSocketAddress statusAddress =
          status == null // checked before the server starts, not after
              ? null
              : AdminCommands.address(new CommandLine(this), "--status", status);
      if (commitGatherMicros < 0 || commitGatherMicros > 1_000_000) {
        throw new CommandLine.ParameterException(
            new CommandLine(this),
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
            new CommandLine(this), "--max-frame: " + maxFrame + " (expected: >= 1024)");
      }
      List<StorageSpec> more = new ArrayList<>();
      for (String a : addStorage) {
        try {
          more.add(StorageSpec.parse(a));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              new CommandLine(this), "--add-storage: " + e.getMessage());
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
        throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
      }
      Tls tls = null;
      if (tlsCert != null || tlsKey != null || tlsClientCa != null) {
        if (tlsCert == null || tlsKey == null) {
          throw new CommandLine.ParameterException(
              new CommandLine(this), "--tls-cert and --tls-key: both are needed for TLS");
        }
        try {
          tls = new Tls(tlsCert, tlsKey, tlsClientCa);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
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
        throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
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
              new CommandLine(this),
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
