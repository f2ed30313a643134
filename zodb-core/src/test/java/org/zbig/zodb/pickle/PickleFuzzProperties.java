package org.zbig.zodb.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.zbig.zodb.Vectors;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.References;

/**
 * Random and mutated inputs never escape as anything but {@link PickleException}, and end. A
 * declared length is checked against the input before anything is allocated, so the heap stays
 * small whatever the input declares (surefire runs these with the default heap).
 */
class PickleFuzzProperties {
  private static final List<byte[]> SEEDS =
      Vectors.all().map(Vectors.Vector::bytes).filter(b -> b.length < 20_000).toList();

  @Provide
  Arbitrary<byte[]> randomInputs() {
    Arbitrary<Byte> opcodeHeavy =
        Arbitraries.oneOf(
            Arbitraries.bytes(),
            Arbitraries.of(
                (byte) '(',
                (byte) 't',
                (byte) ')',
                (byte) ']',
                (byte) 'a',
                (byte) 'e',
                (byte) '}',
                (byte) 's',
                (byte) 'u',
                (byte) 'q',
                (byte) 'h',
                (byte) 'r',
                (byte) 'j',
                (byte) 0x85,
                (byte) 0x86,
                (byte) 0x87,
                (byte) 'N',
                (byte) 'K',
                (byte) 'X',
                (byte) 'C',
                (byte) 'B',
                (byte) 'R',
                (byte) 'b',
                (byte) 'Q',
                (byte) '.',
                (byte) 0x80,
                (byte) 0x8b,
                (byte) 0x8e,
                (byte) 0x94,
                (byte) 0x95,
                (byte) '\n'));
    return opcodeHeavy.array(byte[].class).ofMaxSize(200);
  }

  @Provide
  Arbitrary<byte[]> mutatedRecords() {
    return Arbitraries.integers()
        .between(0, SEEDS.size() - 1)
        .flatMap(i ->
            Arbitraries.longs()
                .map(seed -> {
                  Random rnd = new Random(seed);
                  byte[] b = SEEDS.get(i).clone();
                  int kind = rnd.nextInt(4);
                  if (kind == 0) { // truncate
                    return java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                  }
                  int flips = 1 + rnd.nextInt(kind == 1 ? 1 : 8);
                  for (int k = 0; k < flips; k++) {
                    int at = rnd.nextInt(b.length);
                    b[at] =
                        kind == 3 ? (byte) rnd.nextInt(256) : (byte) (b[at] ^ 1 << rnd.nextInt(8));
                  }
                  return b;
                }));
  }

  @Property(tries = 3000)
  void randomBytesOnlyFailWithPickleException(@ForAll("randomInputs") byte[] input) {
    decodeEveryWay(input);
  }

  @Property(tries = 3000)
  void mutatedRecordsOnlyFailWithPickleException(@ForAll("mutatedRecords") byte[] input) {
    decodeEveryWay(input);
  }

  private static void decodeEveryWay(byte[] input) {
    MemorySegment in = MemorySegment.ofArray(input);
    expectOnlyPickleException(() -> new PickleReader(in).load());
    expectOnlyPickleException(() -> DataRecord.decode(input));
    expectOnlyPickleException(() -> References.extract(input));
    expectOnlyPickleException(() -> DataRecord.decode(input).encode());
  }

  private static void expectOnlyPickleException(Runnable r) {
    try {
      r.run();
    } catch (PickleException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
