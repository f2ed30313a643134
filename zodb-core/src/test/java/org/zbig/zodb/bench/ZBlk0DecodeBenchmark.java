package org.zbig.zodb.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
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
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;

/**
 * Decoding a ZBlk0 record does not copy its block: decoding a 2 MiB record should cost less than
 * twice the 4 KiB one, while copying 2 MiB costs hundreds of times copying 4 KiB. Run with {@code
 * ./mvnw -q -Pbench -pl zodb-core test-compile exec:exec
 * -Dbench.main=org.zbig.zodb.bench.ZBlk0DecodeBenchmark}; it prints both ratios, measured in the
 * same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ZBlk0DecodeBenchmark {
  @Param({"4096", "2097152"})
  public int size;

  private MemorySegment record;
  private Arena arena;
  private MemorySegment src;
  private MemorySegment dst;

  @Setup
  public void setup() {
    byte[] block = new byte[size];
    Arrays.fill(block, (byte) 7);
    byte[] encoded =
        new DataRecord(ClassMeta.of("wendelin.bigfile.file_zodb.ZBlk0"), Bytes.wrap(block))
            .encode();
    arena = Arena.ofConfined();
    record = arena.allocate(encoded.length);
    record.copyFrom(MemorySegment.ofArray(encoded));
    src = arena.allocate(size);
    src.fill((byte) 7);
    dst = arena.allocate(size);
  }

  @TearDown
  public void tearDown() {
    arena.close();
  }

  /** Decodes the record; the block stays a view of the record's bytes. */
  @Benchmark
  public Object decode() {
    return DataRecord.decode(record).state();
  }

  /** The baseline: one copy of a block of the same size. */
  @Benchmark
  public MemorySegment copy() {
    MemorySegment.copy(src, 0, dst, 0, size);
    return dst;
  }

  /** Runs both benchmarks at both sizes and prints the ratios. */
  public static void main(String[] args) throws RunnerException {
    Collection<RunResult> results =
        new Runner(
                new OptionsBuilder()
                    .include(ZBlk0DecodeBenchmark.class.getName())
                    .shouldFailOnError(true)
                    .build())
            .run();
    Map<String, Double> ns = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
      ns.put(name + "@" + r.getParams().getParam("size"), r.getPrimaryResult().getScore());
    }
    double decode = ns.get("decode@2097152") / ns.get("decode@4096");
    double copy = ns.get("copy@2097152") / ns.get("copy@4096");
    System.out.printf(
        Locale.ROOT,
        "%nZBlk0 record decode: 4 KiB %.1f ns, 2 MiB %.1f ns, ratio %.2f (target: < 2)%n"
            + "MemorySegment.copy:  4 KiB %.1f ns, 2 MiB %.1f ns, ratio %.1f (hundreds: a real copy)%n",
        ns.get("decode@4096"),
        ns.get("decode@2097152"),
        decode,
        ns.get("copy@4096"),
        ns.get("copy@2097152"),
        copy);
    if (decode >= 2) {
      throw new IllegalStateException("decoding a 2 MiB ZBlk0 record copies the block: " + decode);
    }
  }
}
