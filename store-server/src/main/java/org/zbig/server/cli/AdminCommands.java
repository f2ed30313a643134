package org.zbig.server.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import me.tongfei.progressbar.ProgressBar;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.CommandTree.Node;
import org.zbig.clicommon.Progress;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.wire.Encoding;
import org.zbig.wire.ErrorReply;
import org.zbig.wire.Handshake;
import org.zbig.wire.HostPort;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.OneWayRequest;
import org.zbig.wire.Pack;
import org.zbig.wire.ReceiveBlobChunk;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.Role;
import org.zbig.wire.SendBlob;
import org.zbig.wire.ServerCall;
import org.zbig.wire.SyncRequest;
import org.zbig.wire.netty.ClientTls;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.storage.CurrentRecord;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code pack} and {@code analyze}: what an operator runs besides the server. */
final class AdminCommands {
  private AdminCommands() {}

  /** A minimal blocking ZEO client for one administrative call. */
  static final class Call implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final MessageCodec codec;
    private long msgid = 1;

    /** Connects over plain ZEO ({@code tls} null) or TLS, checking the server's host name. */
    Call(InetSocketAddress address, String storage, boolean readOnly, SSLContext tls)
        throws IOException {
      if (tls == null) {
        socket = new Socket(address.getAddress(), address.getPort());
      } else {
        SSLSocket s =
            (SSLSocket)
                tls.getSocketFactory().createSocket(address.getHostString(), address.getPort());
        ClientTls.checkHostName(s);
        s.startHandshake();
        socket = s;
      }
      // a server offers its protocol at once; one that serves TLS waits for a TLS client instead
      socket.setSoTimeout(OFFER_TIMEOUT_MILLIS);
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
      Encoding e;
      String hint = tls == null ? " (a server that serves TLS waits for --tls-ca)" : "";
      String from = "no ZEO offer from " + address.getHostString() + ":" + address.getPort();
      try {
        e = Handshake.clientChooses(read());
      } catch (SocketTimeoutException silence) {
        socket.close();
        throw new IOException(
            from + " within " + OFFER_TIMEOUT_MILLIS / 1000 + " s" + hint, silence);
      } catch (EOFException closed) {
        // a TLS server gives up on a client that sends no TLS handshake, as this one waits
        socket.close();
        throw new IOException(from + ": it closed the connection" + hint, closed);
      }
      socket.setSoTimeout(0); // a pack may take long
      write(Handshake.answer(e));
      codec = new MessageCodec(e, Role.CLIENT);
      call(new Register(MsgId.of(msgid++), storage, readOnly));
    }

    /** How long the server's protocol offer may take. */
    static final int OFFER_TIMEOUT_MILLIS = 10_000;

    /**
     * Fetches the blob of {@code oid} at {@code serial} into {@code target} ({@code sendBlob} and
     * the {@code receiveBlob*} calls that precede its reply, docs/protocol.md §3.7).
     */
    void loadBlob(Oid oid, Tid serial, Path target) throws IOException {
      write(codec.encodeToArray(new SendBlob(MsgId.of(msgid++), oid, serial)));
      try (var out = Files.newOutputStream(target)) {
        for (; ; ) {
          byte[] f = read();
          Message m = codec.decode(f, 0, f.length);
          switch (m) {
            case ReceiveBlobChunk c -> out.write(c.chunk().toByteArray());
            case Reply reply -> {
              return;
            }
            case ErrorReply e -> throw e.toException();
            case ServerCall c -> {} // receiveBlobStart/Stop, info, invalidations
            default -> throw new IOException("unexpected " + m);
          }
        }
      }
    }

    private byte[] read() throws IOException {
      byte[] b = new byte[in.readInt()];
      in.readFully(b);
      return b;
    }

    private void write(byte[] payload) throws IOException {
      byte[] frame = new byte[4 + payload.length];
      ByteBuffer.wrap(frame).putInt(payload.length).put(payload);
      out.write(frame);
      out.flush();
    }

    <R> R call(SyncRequest<R> r) throws IOException {
      write(codec.encodeToArray(r));
      for (; ; ) {
        byte[] f = read();
        Message m = codec.decode(f, 0, f.length);
        switch (m) {
          case Reply reply -> {
            return r.decodeResult(reply.value());
          }
          case ErrorReply e -> throw e.toException();
          case ServerCall c -> {} // info, invalidations: not for us
          default -> throw new IOException("unexpected " + m);
        }
      }
    }

    void send(OneWayRequest r) throws IOException {
      write(codec.encodeToArray(r));
    }

    long nextId() {
      return msgid++;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** The address an option names, or the option's error naming the value and the form. */
  static InetSocketAddress address(CommandLine cmd, String option, String hostPort) {
    try {
      return HostPort.parse(hostPort);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, option + ": " + e.getMessage());
    }
  }

  /** {@code pack}: packs a running server's storage, like zeopack. */
  static final class PackCommand implements Callable<Integer> {
    static final String DESCRIPTION =
        "Pack a running server's storage: remove history older than --days days.";

    final RemoteStorageOptions remote = new RemoteStorageOptions();
    double days;
    CommandSpec spec;

    PackCommand() {}

    static CommandSpec model(Node node) {
      PackCommand c = new PackCommand();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      c.remote.addTo(spec);
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--days")
                  .type(double.class)
                  .paramLabel("<days>")
                  .defaultValue("0")
                  .description("keep this many days of history (default: ${DEFAULT-VALUE})"),
              () -> c.days,
              v -> c.days = v));
      return spec;
    }

    @Override
    public Integer call() throws Exception {
      if (days < 0) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--days: " + days + " (expected: >= 0)");
      }
      double t = System.currentTimeMillis() / 1000.0 - days * 86400;
      long t0 = System.nanoTime();
      // the server does not report how far a pack got: the bar shows the time it takes
      String storage = remote.storage;
      try (Call c =
              new Call(
                  remote.address(spec.commandLine()),
                  storage,
                  false,
                  remote.tls(spec.commandLine()));
          ProgressBar pb = Progress.bar("pack " + storage, -1, false)) {
        c.call(new Pack(MsgId.of(c.nextId()), t, true));
        pb.stepTo(1);
      }
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "packed storage '%s' at %s in %.1f s%n",
              storage,
              remote.server,
              (System.nanoTime() - t0) / 1e9);
      return 0;
    }
  }

  /** {@code verify}: reads every revision of a stopped storage and reports the damaged ones. */
  static final class Verify implements Callable<Integer> {
    static final String DESCRIPTION =
        "Read every revision of a data folder that no server has open, check each against its"
            + " checksum, and report the damaged ones (exit status 1 if any).";

    final DataFolderOption dataFolder = new DataFolderOption();

    CommandSpec spec;

    Verify() {}

    static CommandSpec model(Node node) {
      Verify c = new Verify();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      c.dataFolder.addTo(spec);
      return spec;
    }

    @Override
    public Integer call() throws IOException {
      Path data = dataFolder.existing(spec);
      PrintWriter out = spec.commandLine().getOut();
      long total = folderBytes(data);
      KvStorage.Verified v;
      try (KvStorage s = KvStorage.rocks(data.toAbsolutePath());
          ProgressBar pb = Progress.bar("verify", Math.max(total, 1), true)) {
        v = s.verify(pb::stepTo);
        pb.maxHint(Math.max(v.bytes(), 1));
        pb.stepTo(v.bytes());
      }
      for (KvStorage.Damage d : v.damaged()) {
        out.printf(
            Locale.ROOT,
            "damaged: oid %s tid %s: %s%n",
            d.oid() == null ? "?" : d.oid().toHex(),
            d.tid() == null ? "?" : d.tid().toHex(),
            d.problem());
      }
      out.printf(
          Locale.ROOT,
          "verified %d revisions (%.1f MiB) in %s: %d damaged%n",
          v.revisions(),
          v.bytes() / 1048576.0,
          data,
          v.damaged().size());
      return v.damaged().isEmpty() ? 0 : 1;
    }

    private static long folderBytes(Path dir) throws IOException {
      try (var files = Files.walk(dir)) {
        return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
    }
  }

  /** {@code analyze}: what a data folder holds, by class. */
  static final class Analyze implements Callable<Integer> {
    static final String DESCRIPTION =
        "Objects and bytes per class, revisions, and the largest objects of a data folder that no"
            + " server has open.";

    final DataFolderOption dataFolder = new DataFolderOption();
    int top;
    CommandSpec spec;

    Analyze() {}

    static CommandSpec model(Node node) {
      Analyze c = new Analyze();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      c.dataFolder.addTo(spec);
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--top")
                  .type(int.class)
                  .paramLabel("<top>")
                  .defaultValue("10")
                  .description("how many of the largest objects to list"),
              () -> c.top,
              v -> c.top = v));
      return spec;
    }

    @Override
    public Integer call() {
      try (Storage s = KvStorage.rocks(dataFolder.existing(spec).toAbsolutePath())) {
        report(s, spec.commandLine().getOut(), top);
      }
      return 0;
    }
  }

  /** Per class: current objects and their bytes, and all revisions with theirs. */
  static void report(Storage s, PrintWriter out, int top) {
    Map<String, long[]> byClass = new TreeMap<>(); // objects, bytes, revisions, revision bytes
    Map<Oid, String> classOf = new HashMap<>();
    List<Object[]> largest = new ArrayList<>();
    long transactions = 0;
    for (TransactionInfo t : s.transactions(null, null)) {
      transactions++;
      for (RecordInfo r : s.records(t.tid())) {
        String cls = r.data() == null ? "(deleted)" : className(r.data());
        long[] st = byClass.computeIfAbsent(cls, k -> new long[4]);
        st[2]++;
        st[3] += r.data() == null || r.dataTxn() != null ? 0 : r.data().length();
      }
    }
    for (Optional<CurrentRecord> cur = s.recordAtOrAfter(null); cur.isPresent(); ) {
      CurrentRecord r = cur.get();
      String cls = className(r.data());
      classOf.put(r.oid(), cls);
      long[] st = byClass.computeIfAbsent(cls, k -> new long[4]);
      st[0]++;
      st[1] += r.data().length();
      largest.add(new Object[] {r.oid(), cls, (long) r.data().length()});
      cur = r.next() == null ? Optional.empty() : s.recordAtOrAfter(r.next());
    }
    out.printf(
        Locale.ROOT,
        "%d transactions, %d objects, last tid %s%n",
        transactions,
        classOf.size(),
        s.lastTransaction().toHex());
    out.printf(
        Locale.ROOT,
        "%-50s %10s %14s %10s %14s%n",
        "class",
        "objects",
        "bytes",
        "revisions",
        "stored bytes");
    byClass.entrySet().stream()
        .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[1]))
        .forEach(e ->
            out.printf(
                Locale.ROOT,
                "%-50s %10d %14d %10d %14d%n",
                e.getKey(),
                e.getValue()[0],
                e.getValue()[1],
                e.getValue()[2],
                e.getValue()[3]));
    out.println("largest objects:");
    largest.sort(Comparator.comparingLong((Object[] o) -> -(Long) o[2]));
    for (Object[] o : largest.subList(0, Math.min(top, largest.size()))) {
      out.printf(Locale.ROOT, "  %s %-50s %d bytes%n", ((Oid) o[0]).toHex(), o[1], (Long) o[2]);
    }
    out.flush();
  }

  private static String className(Bytes data) {
    try {
      return DataRecord.decodeClassMeta(data.segment()).type().dotted();
    } catch (RuntimeException e) {
      return "(unreadable)";
    }
  }
}
