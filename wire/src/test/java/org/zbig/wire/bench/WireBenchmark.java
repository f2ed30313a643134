package org.zbig.wire.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.foreign.MemorySegment;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.zbig.wire.Encoding;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.Reply;
import org.zbig.wire.Role;
import org.zbig.wire.netty.FrameDecoder;
import org.zbig.wire.netty.MessageDecoder;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.LoadResult;

/**
 * Encoding and decoding {@code loadBefore} requests and 2 MiB {@code loadBefore} replies in both
 * encodings, against the baseline of one 2 MiB copy measured in the same run. The 2 MiB reply path
 * copies the data at most once: the codec neither copies on decode (byte strings are views of the
 * frame) nor on encode (they are spliced into the output), and the frame decoder copies each byte
 * once. Run with {@code ./mvnw -q -Pbench -pl wire test-compile exec:exec
 * -Dbench.main=org.zbig.wire.bench.WireBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class WireBenchmark {
  private static final int SIZE = 2 << 20;

  @Param({"PICKLE", "MSGPACK"})
  public Encoding encoding;

  private MessageCodec server;
  private MessageCodec client;
  private LoadBefore request;
  private byte[] requestFrame;
  private Reply reply;
  private byte[] replyFrame;
  private ByteBuf replyWire;
  private EmbeddedChannel channel;

  @Setup
  public void setup() {
    server = new MessageCodec(encoding, Role.SERVER);
    client = new MessageCodec(encoding, Role.CLIENT);
    request = LoadBefore.of(new Oid(0x1234), Tid.ofHex("040d2c20d3444dbb"));
    requestFrame = client.encodeToArray(request);
    byte[] data = new byte[SIZE];
    data[SIZE - 1] = 1;
    reply =
        request.reply(
            Optional.of(new LoadResult(Bytes.wrap(data), Tid.ofHex("040d2c20d3444000"), null)));
    replyFrame = server.encodeToArray(reply);
    replyWire = Unpooled.directBuffer(replyFrame.length + 4);
    replyWire.writeInt(replyFrame.length).writeBytes(replyFrame);
    channel = new EmbeddedChannel(new FrameDecoder(SIZE * 2), new MessageDecoder(client));
  }

  @TearDown
  public void tearDown() {
    replyWire.release();
    channel.finishAndReleaseAll();
  }

  @Benchmark
  public List<MemorySegment> encodeRequest() {
    return client.encode(request);
  }

  @Benchmark
  public Message decodeRequest() {
    return server.decode(requestFrame, 0, requestFrame.length);
  }

  /** Encodes the 2 MiB reply into pieces; the record is referenced, not copied. */
  @Benchmark
  public List<MemorySegment> encodeReply() {
    return server.encode(reply);
  }

  /** Decodes the 2 MiB reply from its payload array; the record stays a view. */
  @Benchmark
  public Message decodeReply() {
    return client.decode(replyFrame, 0, replyFrame.length);
  }

  /** From socket-like direct bytes through the frame and message decoders: one copy. */
  @Benchmark
  public Object frameAndDecodeReply() {
    channel.writeInbound(replyWire.retainedDuplicate());
    return channel.readInbound();
  }

  /**
   * The baseline: one copy of 2 MiB received bytes, from a direct buffer into a new array, as any
   * receive path that hands out a heap copy must do at least once.
   */
  @Benchmark
  public byte[] copy2MiB() {
    byte[] dst = new byte[SIZE];
    replyWire.getBytes(4, dst);
    return dst;
  }

  /** Runs the benchmarks and prints each against one 2 MiB copy. */
  public static void main(String[] args) throws RunnerException {
    Collection<RunResult> results =
        new Runner(
                new OptionsBuilder()
                    .include(WireBenchmark.class.getName())
                    .shouldFailOnError(true)
                    .build())
            .run();
    Map<String, Double> ns = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
      ns.put(name + "@" + r.getParams().getParam("encoding"), r.getPrimaryResult().getScore());
    }
    System.out.println();
    for (String enc : List.of("PICKLE", "MSGPACK")) {
      double copy = ns.get("copy2MiB@" + enc);
      for (String b :
          List.of(
              "encodeRequest",
              "decodeRequest",
              "encodeReply",
              "decodeReply",
              "frameAndDecodeReply",
              "copy2MiB")) {
        double v = ns.get(b + "@" + enc);
        System.out.printf(
            Locale.ROOT, "%-8s %-20s %12.1f ns   %6.3f x one 2 MiB copy%n", enc, b, v, v / copy);
      }
    }
    for (String enc : List.of("PICKLE", "MSGPACK")) {
      double copy = ns.get("copy2MiB@" + enc);
      if (ns.get("encodeReply@" + enc) > 0.5 * copy || ns.get("decodeReply@" + enc) > 0.5 * copy) {
        throw new IllegalStateException(enc + ": the codec copies the 2 MiB record");
      }
      if (ns.get("frameAndDecodeReply@" + enc) > 1.5 * copy) {
        throw new IllegalStateException(
            enc + ": the receive path copies the record more than once");
      }
    }
  }
}
