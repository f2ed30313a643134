package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.wire.Encoding;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Ping;
import org.zbig.wire.Register;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * The short version of the wire fuzzer ({@link WireFuzzer}) in each encoding: 25,000 fuzzed frames
 * over four connections against an in-process server, a control connection pinging meanwhile. The
 * server must answer the control connection promptly throughout, keep what was stored before
 * exactly, serve a new client afterwards, and not grow its heap beyond a bound. The seed is
 * printed; {@code -Dzbig.seed=N} replays a run, {@code -Dzbig.fuzz.frames=N} sets the frames.
 */
class WireFuzzTest {
  private static final long FRAMES = Long.getLong("zbig.fuzz.frames", 25_000);

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void fuzzedFramesNeitherStopNorSlowNorChangeTheServer(Encoding encoding) throws Exception {
    long seed = Long.getLong("zbig.seed", System.nanoTime());
    System.out.println("wire fuzz " + encoding + ": seed " + seed);
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory().withOffer(encoding))) {
      // objects no recorded frame touches, stored before the fuzzing
      List<Oid> oids = new ArrayList<>();
      List<Bytes> values = new ArrayList<>();
      Random r = new Random(seed);
      try (TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
        for (int i = 0; i < 20; i++) {
          Oid o = new Oid(0x7f00_0000_0000_0000L + i);
          byte[] b = new byte[1 + r.nextInt(5000)];
          r.nextBytes(b);
          oids.add(o);
          values.add(Bytes.wrap(b));
          c.send(new StoreA(o, Tid.Z64, Bytes.wrap(b), 1));
        }
        c.call(new Vote(c.id(), 1));
        c.call(new TpcFinish(c.id(), 1));
      }
      // a first fifth warms up what a long run reuses (classes, compiled code, the server's
      // buffers); the heap is compared from there on, so that only growth with the frames counts
      WireFuzzer.Report warm = WireFuzzer.run(server.address(), FRAMES / 5, 4, seed, "1");
      long heapBefore = usedHeapAfterGc();
      WireFuzzer.Report report =
          WireFuzzer.run(server.address(), FRAMES - FRAMES / 5, 4, seed + 1_000_003, "1");
      System.out.println("wire fuzz " + encoding + ": " + warm + "; then " + report);

      assertThat(warm.frames() + report.frames()).isEqualTo(FRAMES);
      assertThat(warm.controlPings() + report.controlPings()).isPositive();
      assertThat(Math.max(warm.worstControlMicros(), report.worstControlMicros()))
          .as("worst round trip of the control connection, µs")
          .isLessThan(2_000_000);
      long heapGrowth = usedHeapAfterGc() - heapBefore;
      Map<String, Object> st = server.status().get("1");
      System.out.println(
          "wire fuzz "
              + encoding
              + ": heap growth "
              + (heapGrowth >> 10)
              + " KiB; the fuzzers' commits "
              + st.get("commits")
              + ", stores "
              + st.get("stores")
              + ", connections left "
              + st.get("connections"));
      assertThat(((Number) st.get("connections")).longValue())
          .as("registered connections left after the fuzzing")
          .isZero();
      // each closed connection's register-timeout task held its handler and channel for 30 s
      // (32 MiB over 20,000 frames); with the task cancelled at close, 30,000 frames left 26 KiB
      assertThat(heapGrowth).as("heap growth over the last 20,000 frames").isLessThan(8L << 20);
      try (TestClient c = new TestClient(server.address())) {
        c.call(new Register(c.id(), "1", false));
        c.call(new Ping(c.id()));
        for (int i = 0; i < oids.size(); i++) {
          assertThat(c.call(LoadBefore.of(oids.get(i), Tid.MAX)).orElseThrow().data())
              .as("object %s after the fuzzing", oids.get(i))
              .isEqualTo(values.get(i));
        }
      }
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      least = Math.min(least, rt.totalMemory() - rt.freeMemory());
    }
    return least;
  }
}
