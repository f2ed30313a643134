package org.zbig.zodb.pickle;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** writer -> reader round trips over generated values. */
class PickleRoundTripProperties {
  @Provide
  Arbitrary<Object> values() {
    return PickleValueArbitraries.values();
  }

  @Provide
  Arbitrary<Object> scalars() {
    return PickleValueArbitraries.scalars();
  }

  @Provide
  Arbitrary<Object> batches() {
    return PickleValueArbitraries.batchBoundaries();
  }

  @Property(tries = 500)
  void memoizedRoundTripGivesAnEqualValue(@ForAll("values") Object v) {
    byte[] p = PickleWriter.dumps(v);
    assertThat(PickleReader.loads(p)).isEqualTo(v);
  }

  @Property(tries = 500)
  void fastModeRoundTripGivesAnEqualValueWithoutMemoOpcodes(@ForAll("values") Object v) {
    byte[] p = new PickleWriter(false, x -> null).dump(v).toByteArray();
    assertThat(PickleReader.loads(p)).isEqualTo(v);
  }

  @Property(tries = 500)
  void reencodingDecodedValueGivesTheSameBytes(@ForAll("values") Object v) {
    byte[] p = PickleWriter.dumps(v);
    assertThat(PickleWriter.dumps(PickleReader.loads(p))).isEqualTo(p);
  }

  @Property(tries = 20)
  void batchesOfAThousandRoundTrip(@ForAll("batches") Object v) {
    byte[] p = PickleWriter.dumps(v);
    assertThat(PickleReader.loads(p)).isEqualTo(v);
    assertThat(PickleWriter.dumps(PickleReader.loads(p))).isEqualTo(p);
  }

  @Property(tries = 200)
  void twoPicklesShareOneMemo(@ForAll("values") Object a, @ForAll("values") Object b) {
    PickleWriter w = new PickleWriter();
    w.dump(a).dump(a).dump(b);
    PickleReader r = new PickleReader(MemorySegment.ofArray(w.toByteArray()));
    assertThat(r.load()).isEqualTo(a);
    assertThat(r.load()).isEqualTo(a);
    assertThat(r.load()).isEqualTo(b);
    assertThat(r.atEnd()).isTrue();
  }

  @Property(tries = 200)
  void persistentIdHookSeesEveryPid(@ForAll("scalars") Object pid) {
    UnaryOperator<Object> hook = x -> new PersistentId(Tuple.of("loaded", x));
    Object v = Tuple.of(new PersistentId(pid), 1L);
    byte[] p = PickleWriter.dumps(v);
    Object back =
        new PickleReader(MemorySegment.ofArray(p), 0, GlobalResolver.opaque(), hook).load();
    assertThat(back).isEqualTo(Tuple.of(new PersistentId(Tuple.of("loaded", pid)), 1L));
  }
}
