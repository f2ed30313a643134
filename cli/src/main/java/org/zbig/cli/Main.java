package org.zbig.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import org.zbig.clicommon.LazySubcommands;
import org.zbig.clicommon.TlsOptions;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.wire.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bin/zbig}: the command-line client. */
@Command(
    name = "zbig",
    mixinStandardHelpOptions = true,
    description = "The zbig command-line client.")
public final class Main {
  @Option(
      names = "--server",
      defaultValue = "127.0.0.1:8100",
      description =
          "the ZEO server, HOST:PORT, or several servers of one database separated by commas"
              + " (failed over in turn; bench server spreads its connections over them)"
              + " (default: ${DEFAULT-VALUE})")
  String server;

  @Option(
      names = "--storage",
      defaultValue = "1",
      description = "the storage name (default: ${DEFAULT-VALUE})")
  String storage;

  @CommandLine.Mixin TlsOptions tlsOptions;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private Main() {}

  /** {@code options} with the TLS settings of the command line, if any. */
  ClientOptions tls(ClientOptions options) {
    SSLContext tls = tlsOptions.context(spec.commandLine());
    return tls == null ? options : options.withTls(tls);
  }

  /**
   * The commands' subcommands, in the order help lists them; made along the path the arguments take
   * ({@link LazySubcommands}).
   */
  static final LazySubcommands COMMANDS =
      new LazySubcommands(
          Map.of(
              Main.class,
              List.of(Bench.class, ArrayCommands.Ls.class, ArrayCommands.ArrayCommand.class),
              Bench.class,
              List.of(BenchServer.class),
              ArrayCommands.ArrayCommand.class,
              List.of(
                  ArrayCommands.Create.class,
                  ArrayCommands.Import.class,
                  ArrayCommands.Append.class,
                  ArrayCommands.Export.class,
                  ArrayCommands.Info.class,
                  ArrayCommands.Log.class,
                  ArrayCommands.Bench.class,
                  GrowWatchCommands.Grow.class,
                  GrowWatchCommands.Watch.class,
                  GrowWatchCommands.Show.class)));

  /**
   * Runs the command line and exits with its status (returns, when it succeeded and no other thread
   * runs: see {@link #othersRunning}). A run that records the classes a start loads for the
   * launcher's ahead-of-time cache ({@code bin/launch.sh} sets {@code zbig.aot.record}) also
   * renders the help, unseen, so that {@code --help} starts from the cache too; if the command
   * failed, it marks its record ({@code zbig.aot.conf}, written by the JVM at exit) as failed, and
   * the launcher drops it: a failed command may have loaded little of what a start needs.
   */
  public static void main(String[] args) {
    int status = run(args);
    if (Boolean.getBoolean("zbig.aot.record")) {
      COMMANDS
          .commandLine(new Main())
          .setOut(new PrintWriter(Writer.nullWriter()))
          .execute("--help");
      String conf = System.getProperty("zbig.aot.conf");
      if (status != 0 && conf != null) {
        try {
          Files.writeString(Path.of(conf + ".failed"), "exit status " + status + "\n");
        } catch (IOException | RuntimeException e) {
          // only the cache's training: the next launch records again or uses this record
        }
      }
    }
    if (status == 0 && !othersRunning()) {
      return; // the JVM ends with main, as with System.exit(0), minus the exit's logger lookup
    }
    System.exit(status);
  }

  /**
   * Whether a thread other than this one would keep the JVM running after {@code main} returns.
   * When none would, a successful command returns instead of calling {@link System#exit}: since JDK
   * 21 an exit looks up the system logger for {@code java.lang.Runtime} first, and that lookup
   * searches every jar of the class path for a logger service, 15 ms of a 100 ms {@code --help}
   * (docs/benchmarks.md, start-up).
   */
  private static boolean othersRunning() {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t != Thread.currentThread() && t.isAlive() && !t.isDaemon()) {
        return true;
      }
    }
    return false;
  }

  /** Runs the command line; failures print one line, not a trace. */
  static int run(String... args) {
    return COMMANDS
        .commandLine(new Main(), args)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("zbig: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
          return 1;
        })
        .execute(args);
  }

  /** The addresses of {@code --server}. */
  List<InetSocketAddress> addresses() {
    try {
      return HostPort.parseList(server);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--server: " + e.getMessage());
    }
  }

  /** {@code bench}: load generators. */
  @Command(name = "bench", mixinStandardHelpOptions = true, description = "Load generators.")
  static final class Bench {
    @ParentCommand Main main;

    Bench() {}
  }

  /** {@code bench server}: measures a ZEO server (ours or Python's) with this client. */
  @Command(
      name = "server",
      mixinStandardHelpOptions = true,
      description =
          "Measure a ZEO 5 server: small-object loads with many requests in flight (read),"
              + " durable commits (commit), 2 MiB records stored and loaded (big).")
  static final class BenchServer implements Callable<Integer> {
    @ParentCommand Bench bench;

    @Option(
        names = "--connections",
        defaultValue = "4",
        description = "ZEO connections at once (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(
        names = "--duration",
        defaultValue = "5",
        description = "seconds (default: ${DEFAULT-VALUE})")
    double duration;

    @Option(
        names = "--mix",
        defaultValue = "read",
        description =
            "read, raw-read (read from a load generator far cheaper than a ZEO client), commit,"
                + " big or raw-big (big, loaded by that cheap generator) (default:"
                + " ${DEFAULT-VALUE})")
    String mix;

    @Option(
        names = "--in-flight",
        defaultValue = "64",
        description = "requests in flight per connection for read (default: ${DEFAULT-VALUE})")
    int inFlight;

    @Option(
        names = "--network-threads",
        description =
            "network threads the connections share, 0 for one per connection (default: half the"
                + " cores, at least one: the server under test often runs on the same machine)")
    Integer networkThreads;

    @Option(names = "--json", description = "also write the figures to this JSON file")
    Path json;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    BenchServer() {}

    @Override
    public Integer call() throws Exception {
      if (connections < 1 || connections > 1024) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--connections: " + connections + " (expected: 1 to 1024)");
      }
      if (!(duration > 0)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--duration: " + duration + " (expected: seconds > 0)");
      }
      if (inFlight < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--in-flight: " + inFlight + " (expected: >= 1)");
      }
      int threads =
          networkThreads == null
              ? Math.max(1, Runtime.getRuntime().availableProcessors() / 2)
              : networkThreads;
      if (threads < 0 || threads > 1024) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--network-threads: " + threads + " (expected: 0 to 1024)");
      }
      if (!List.of("read", "raw-read", "commit", "big", "raw-big").contains(mix)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--mix: '" + mix + "' (expected: read, raw-read, commit, big or raw-big)");
      }
      Main main = bench.main;
      ServerBench.Result r =
          new ServerBench(
                  main.addresses(),
                  main.storage,
                  connections,
                  Duration.ofMillis((long) (duration * 1000)),
                  inFlight,
                  threads)
              .run(mix);
      var out = spec.commandLine().getOut();
      out.printf(
          Locale.ROOT,
          "%s against %s, %d connections, %.1f s: %d operations%n",
          r.mix(),
          main.server,
          r.connections(),
          r.seconds(),
          r.operations());
      switch (r.mix()) {
        case "read", "raw-read" -> out.printf(Locale.ROOT, "loads/s %.0f%n", r.loadsPerS());
        case "commit" -> out.printf(Locale.ROOT, "commits/s %.0f%n", r.txnPerS());
        default ->
            out.printf(
                Locale.ROOT,
                "store %.1f MB/s (%.1f commits/s), load %.1f MB/s%n",
                r.storeMBps(),
                r.txnPerS(),
                r.loadMBps());
      }
      out.printf(Locale.ROOT, "latency p50 %.3f ms, p99 %.3f ms%n", r.p50Ms(), r.p99Ms());
      out.flush();
      if (json != null) {
        new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .writeValue(json.toFile(), r.toJson(main.server));
      }
      return 0;
    }
  }
}
