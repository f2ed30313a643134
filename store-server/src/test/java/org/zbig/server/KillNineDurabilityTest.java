package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * A real server process on a RocksDB data folder, killed with SIGKILL while several clients commit
 * (3, and 16 whose finishes share synced writes; and 4 whose records of 1 MiB fill memtables, so
 * that the kill comes while the server writes over a recycled write-ahead log): after a restart
 * every commit a client saw acknowledged by {@code tpc_finish} is there, no transaction is half
 * there, and new tids continue after the old ones.
 */
class KillNineDurabilityTest {
  @TempDir Path dir;

  /** Starts {@code zbig-server serve} in its own JVM and waits for its ready line. */
  private static Process start(Path data, InetSocketAddress[] address)
      throws IOException, InterruptedException {
    ServerProcesses.Started s = ServerProcesses.start(null, "--data", data.toString());
    address[0] = s.address();
    return s.process();
  }

  /** A commit acknowledged: its first record holds {@link #value}, its second {@code data}. */
  record Acked(Tid tid, Oid a, Oid b, Bytes data, int client, long txn) {}

  /**
   * The first record of a client's transaction: {@code data}, then (when {@code big} is more) bytes
   * drawn from a generator seeded by client and transaction, up to {@code big} in all.
   */
  static Bytes value(Bytes data, int client, long txn, int big) {
    if (big <= data.length()) {
      return data;
    }
    byte[] v = new byte[big];
    new Random(client * 1_000_000_007L + txn).nextBytes(v);
    byte[] head = data.toByteArray();
    System.arraycopy(head, 0, v, 0, head.length);
    return Bytes.wrap(v);
  }

  @ParameterizedTest(name = "{0} committers, records of {1} bytes")
  @CsvSource({"3, 0", "16, 0", "4, 1048576"})
  void everyAcknowledgedCommitSurvivesKillNine(int committers, int big) throws Exception {
    Path data = dir.resolve("data");
    InetSocketAddress[] address = new InetSocketAddress[1];
    Process server = start(data, address);
    List<Acked> acked = java.util.Collections.synchronizedList(new ArrayList<>());
    Map<Integer, Throwable> failures = new ConcurrentHashMap<>();
    AtomicBoolean killed = new AtomicBoolean();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < committers; i++) {
      int client = i;
      clients.add(
          Thread.ofPlatform()
              .start(() -> {
                try (TestClient c = new TestClient(address[0])) {
                  c.call(new Register(c.id(), "1", false));
                  for (long txn = 1; ; txn++) {
                    List<Oid> oids = c.call(new NewOids(c.id(), 2));
                    Bytes value = Bytes.utf8("client " + client + " txn " + txn);
                    c.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
                    c.send(new StoreA(oids.get(0), Tid.Z64, value(value, client, txn, big), txn));
                    c.send(new StoreA(oids.get(1), Tid.Z64, value, txn));
                    c.call(new Vote(c.id(), txn));
                    Tid tid = c.call(new TpcFinish(c.id(), txn));
                    acked.add(new Acked(tid, oids.get(0), oids.get(1), value, client, txn));
                  }
                } catch (RuntimeException e) {
                  if (!killed.get()) {
                    failures.put(client, e);
                  }
                }
              }));
    }
    while (acked.size() < 20 * committers) {
      Thread.sleep(20);
    }
    if (big > 0) {
      // on until the server writes over a recycled log (RocksDB's info log says when it takes one),
      // then a few more commits into it
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.readString(data.resolve("LOG"), StandardCharsets.ISO_8859_1)
          .contains("from recycle list")) {
        assertThat(System.nanoTime()).as("a log recycled within 2 minutes").isLessThan(deadline);
        assertThat(failures).isEmpty();
        Thread.sleep(50);
      }
      int seen = acked.size();
      while (acked.size() < seen + 2 * committers) {
        Thread.sleep(5);
      }
    }
    killed.set(true);
    server.destroyForcibly(); // SIGKILL
    server.waitFor();
    for (Thread t : clients) {
      t.join();
    }
    assertThat(failures).isEmpty();
    List<Acked> before = List.copyOf(acked);
    Tid lastAcked = before.stream().map(Acked::tid).max(Tid::compareTo).orElseThrow();

    Process again = start(data, address);
    try (TestClient c = new TestClient(address[0])) {
      c.call(new Register(c.id(), "1", false));
      Tid last = c.call(new LastTransaction(c.id()));
      assertThat(last).isGreaterThanOrEqualTo(lastAcked);
      for (Acked a : before) {
        assertThat(c.call(new LoadSerial(c.id(), a.a(), a.tid())))
            .isEqualTo(value(a.data(), a.client(), a.txn(), big));
        assertThat(c.call(new LoadSerial(c.id(), a.b(), a.tid()))).isEqualTo(a.data());
      }
      // the invalidation queue was rebuilt: a client whose cache is recent needs not drop it
      List<Acked> sorted = before.stream().sorted((x, y) -> x.tid().compareTo(y.tid())).toList();
      Acked recent = sorted.get(sorted.size() - 10);
      Invalidations inv = c.call(new GetInvalidations(c.id(), recent.tid())).orElseThrow();
      assertThat(inv.tid()).isEqualTo(last);
      for (Acked a : sorted.subList(sorted.size() - 9, sorted.size())) {
        assertThat(inv.oids()).contains(a.a(), a.b());
      }
      assertThat(inv.oids()).doesNotContain(recent.a());
      // no transaction is half there: every one has both of its records
      long iid = c.call(new IteratorStart(c.id(), null, null));
      int transactions = 0;
      for (var t = c.call(new IteratorNext(c.id(), iid)); t.isPresent(); ) {
        long rid = c.call(new IteratorRecordStart(c.id(), iid, t.get().tid()));
        int records = 0;
        while (c.call(new IteratorRecordNext(c.id(), rid)).isPresent()) {
          records++;
        }
        assertThat(records).as("records of " + t.get().tid()).isEqualTo(2);
        transactions++;
        t = c.call(new IteratorNext(c.id(), iid));
      }
      assertThat(transactions).isGreaterThanOrEqualTo(before.size());
      // tids go on increasing after the restart
      List<Oid> oids = c.call(new NewOids(c.id(), 1));
      c.send(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
      c.send(new StoreA(oids.getFirst(), Tid.Z64, Bytes.utf8("after"), 1));
      c.call(new Vote(c.id(), 1));
      assertThat(c.call(new TpcFinish(c.id(), 1))).isGreaterThan(last);
      // oids handed out before the kill are not handed out again
      assertThat(oids.getFirst().value())
          .isGreaterThan(before.stream().mapToLong(a -> a.b().value()).max().orElseThrow());
    } finally {
      again.destroy(); // SIGTERM: the shutdown hook closes the storage
      assertThat(again.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
  }
}
