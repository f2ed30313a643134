package org.zbig.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.CommandTree.Node;
import org.zbig.clicommon.MainExit;
import org.zbig.clicommon.TlsOptions;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.wire.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code bin/zbig}: the command-line client. */
public final class Main {
  String server;
  String storage;
  final TlsOptions tlsOptions = new TlsOptions();
  CommandSpec spec;

  private Main() {}

  /** {@code options} with the TLS settings of the command line, if any. */
  ClientOptions tls(ClientOptions options) {
    SSLContext tls = tlsOptions.context(spec.commandLine());
    return tls == null ? options : options.withTls(tls);
  }

  /** The command of {@code spec}'s tree: the root's, which holds the options every command uses. */
  static Main of(CommandSpec spec) {
    return CommandTree.root(spec, Main.class);
  }

  /**
   * The command tree, with each command's subcommands in the order help lists them; made along the
   * path the arguments take ({@link CommandTree}).
   */
  static final Node TREE =
      new Node(
          "zbig",
          "The zbig command-line client.",
          Main::model,
          List.of(
              new Node(
                  "bench",
                  "Load generators.",
                  n -> CommandTree.command(new Object(), n),
                  List.of(new Node("server", BenchServer.DESCRIPTION, BenchServer::model))),
              new Node("ls", "List the root's keys.", ArrayCommands.Ls::model),
              new Node(
                  "array",
                  "Create, import, append, export and describe arrays under the root.",
                  n -> CommandTree.command(new Object(), n),
                  List.of(
                      new Node("create", "Create an array of zeros.", ArrayCommands.Create::model),
                      new Node(
                          "import",
                          "Create an array from a .npy file.",
                          ArrayCommands.Import::model),
                      new Node(
                          "append",
                          "Append a .npy file along the major axis.",
                          ArrayCommands.Append::model),
                      new Node(
                          "export",
                          "Write an array or a view of it to a .npy file.",
                          ArrayCommands.Export::model),
                      new Node("info", "Describe an array.", ArrayCommands.Info::model),
                      new Node("log", ArrayCommands.Log.DESCRIPTION, ArrayCommands.Log::model),
                      new Node(
                          "bench",
                          "Measure scan throughput and block fault-in latency on an array.",
                          ArrayCommands.Bench::model),
                      new Node(
                          "grow",
                          GrowWatchCommands.Grow.DESCRIPTION,
                          GrowWatchCommands.Grow::model),
                      new Node(
                          "watch",
                          GrowWatchCommands.Watch.DESCRIPTION,
                          GrowWatchCommands.Watch::model),
                      new Node(
                          "show",
                          GrowWatchCommands.Show.DESCRIPTION,
                          GrowWatchCommands.Show::model)))));

  private static CommandSpec model(Node node) {
    Main m = new Main();
    CommandSpec spec = CommandTree.command(m, node);
    m.spec = spec;
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--server")
                .type(String.class)
                .paramLabel("<server>")
                .defaultValue("127.0.0.1:8100")
                .description(
                    "the ZEO server, HOST:PORT, or several servers of one database separated by"
                        + " commas (failed over in turn; bench server spreads its connections over"
                        + " them) (default: ${DEFAULT-VALUE})"),
            () -> m.server,
            v -> m.server = v));
    spec.addOption(
        CommandTree.option(
            OptionSpec.builder("--storage")
                .type(String.class)
                .paramLabel("<storage>")
                .defaultValue("1")
                .description("the storage name (default: ${DEFAULT-VALUE})"),
            () -> m.storage,
            v -> m.storage = v));
    m.tlsOptions.addTo(spec);
    return spec;
  }

  /**
   * Runs the command line and exits with its status (returns, when it succeeded and no other thread
   * runs: {@link MainExit}). A run that records the classes a start loads for the launcher's
   * ahead-of-time cache ({@code bin/launch.sh} sets {@code zbig.aot.record}) and fails marks its
   * record ({@code zbig.aot.conf}, written by the JVM at exit) as failed, and the launcher drops
   * it: a failed command may have loaded little of what a start needs. (Help and usage listings
   * have a cache of their own, trained on {@code --help}: {@code bin/zbig}.)
   */
  public static void main(String[] args) {
    int status = run(args);
    if (Boolean.getBoolean("zbig.aot.record")) {
      String conf = System.getProperty("zbig.aot.conf");
      if (status != 0 && conf != null) {
        try {
          Files.writeString(Path.of(conf + ".failed"), "exit status " + status + "\n");
        } catch (IOException | RuntimeException e) {
          // only the cache's training: the next launch records again or uses this record
        }
      }
    }
    MainExit.end(status);
  }

  /** Runs the command line; failures print one line, not a trace. */
  static int run(String... args) {
    return CommandTree.commandLine(TREE, args)
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

  /** {@code bench server}: measures a ZEO server (ours or Python's) with this client. */
  static final class BenchServer implements Callable<Integer> {
    static final String DESCRIPTION =
        "Measure a ZEO 5 server: small-object loads with many requests in flight (read),"
            + " durable commits (commit), 2 MiB records stored and loaded (big).";

    int connections;
    double duration;
    String mix;
    int inFlight;
    Integer networkThreads;
    Path json;
    CommandSpec spec;

    BenchServer() {}

    static CommandSpec model(Node node) {
      BenchServer c = new BenchServer();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--connections")
                  .type(int.class)
                  .paramLabel("<connections>")
                  .defaultValue("4")
                  .description("ZEO connections at once (default: ${DEFAULT-VALUE})"),
              () -> c.connections,
              v -> c.connections = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--duration")
                  .type(double.class)
                  .paramLabel("<duration>")
                  .defaultValue("5")
                  .description("seconds (default: ${DEFAULT-VALUE})"),
              () -> c.duration,
              v -> c.duration = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--mix")
                  .type(String.class)
                  .paramLabel("<mix>")
                  .defaultValue("read")
                  .description(
                      "read, raw-read (read from a load generator far cheaper than a ZEO client),"
                          + " commit, raw-commit (commit, from that cheap generator), big or raw-big"
                          + " (big, loaded by that cheap generator)"
                          + " (default: ${DEFAULT-VALUE})"),
              () -> c.mix,
              v -> c.mix = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--in-flight")
                  .type(int.class)
                  .paramLabel("<inFlight>")
                  .defaultValue("64")
                  .description(
                      "requests in flight per connection for read (default: ${DEFAULT-VALUE})"),
              () -> c.inFlight,
              v -> c.inFlight = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--network-threads")
                  .type(Integer.class)
                  .paramLabel("<networkThreads>")
                  .description(
                      "network threads the connections share, 0 for one per connection (default:"
                          + " half the cores, at least one: the server under test often runs on"
                          + " the same machine)"),
              () -> c.networkThreads,
              v -> c.networkThreads = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--json")
                  .type(Path.class)
                  .paramLabel("<json>")
                  .description("also write the figures to this JSON file"),
              () -> c.json,
              v -> c.json = v));
      return spec;
    }

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
      if (!List.of("read", "raw-read", "commit", "raw-commit", "big", "raw-big").contains(mix)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--mix: '" + mix + "' (expected: read, raw-read, commit, raw-commit, big or raw-big)");
      }
      Main main = Main.of(spec);
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
        case "commit", "raw-commit" -> out.printf(Locale.ROOT, "commits/s %.0f%n", r.txnPerS());
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
