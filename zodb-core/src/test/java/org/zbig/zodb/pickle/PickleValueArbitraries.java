package org.zbig.zodb.pickle;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators of pickle values for property tests. */
final class PickleValueArbitraries {
  private PickleValueArbitraries() {}

  static Arbitrary<Object> scalars() {
    return Arbitraries.oneOf(
        Arbitraries.just(null),
        Arbitraries.of(true, false),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.longs().between(-70_000, 70_000).map(l -> (Object) l),
        Arbitraries.bigIntegers()
            .between(BigInteger.TWO.pow(300).negate(), BigInteger.TWO.pow(300))
            .map(PickleValues::integer),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, -0.0).map(d -> (Object) d),
        Arbitraries.strings().ofMaxLength(40).map(s -> (Object) s),
        Arbitraries.strings().all().ofMaxLength(10).map(s -> (Object) s), // lone surrogates too
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(b -> (Object) Bytes.wrap(b)),
        Arbitraries.of("persistent.mapping", "BTrees.LOBTree", "numpy")
            .flatMap(m ->
                Arbitraries.strings()
                    .alpha()
                    .ofMinLength(1)
                    .ofMaxLength(8)
                    .map(n -> (Object) new Global(m, n))));
  }

  static Arbitrary<Object> hashableKeys() {
    Arbitrary<Object> simple =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(10).map(s -> (Object) s),
            Arbitraries.longs().map(l -> (Object) l),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(9).map(b -> (Object) Bytes.wrap(b)));
    return Arbitraries.oneOf(simple, simple.list().ofMaxSize(3).map(l -> (Object) Tuple.copyOf(l)));
  }

  static Arbitrary<Object> values() {
    return Arbitraries.recursive(
        PickleValueArbitraries::scalars, PickleValueArbitraries::containers, 0, 4);
  }

  private static Arbitrary<Object> containers(Arbitrary<Object> inner) {
    return Arbitraries.oneOf(
        inner,
        inner.list().ofMaxSize(5).map(l -> (Object) Tuple.copyOf(l)),
        inner.list().ofMaxSize(5).map(l -> (Object) new ArrayList<>(l)),
        Combinators.combine(hashableKeys().list().ofMaxSize(5), inner.list().ofSize(5))
            .as((keys, vals) -> {
              Map<Object, Object> m = new LinkedHashMap<>();
              for (int i = 0; i < keys.size(); i++) {
                m.put(keys.get(i), vals.get(i));
              }
              return (Object) m;
            }),
        Combinators.combine(inner.list().ofMaxSize(3), inner)
            .as((args, state) ->
                (Object)
                    new PyObject(
                        new Global("numpy", "dtype"),
                        Tuple.copyOf(args),
                        PyObject.Kind.REDUCE,
                        state)),
        inner
            .list()
            .ofMaxSize(2)
            .map(args ->
                (Object)
                    new PyObject(
                        new Global("copyreg", "_reconstructor"),
                        Tuple.copyOf(args),
                        PyObject.Kind.NEWOBJ)),
        inner.map(pid -> (Object) new PersistentId(pid)));
  }

  /** Lists of 999..1003 items and dicts around the 1000-item batch size. */
  static Arbitrary<Object> batchBoundaries() {
    return Arbitraries.integers()
        .between(995, 2003)
        .flatMap(n ->
            Arbitraries.of(
                (Object) new ArrayList<Object>(java.util.Collections.nCopies(n, 1L)), dictOf(n)));
  }

  private static Object dictOf(int n) {
    Map<Object, Object> m = new LinkedHashMap<>();
    for (long i = 0; i < n; i++) {
      m.put(i, List.of());
    }
    return m;
  }
}
