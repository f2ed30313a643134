package org.zbig.server.storage;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * {@link CurrentRecords} (a Caffeine cache, lock-free lookups) against the baseline it replaced, a
 * {@code LinkedHashMap} in access order behind one lock, measured in the same run: lookups of a
 * PostgreSQL server's loads, with a put or an invalidation now and then as commits and misses make
 * them. Two threads, as many as this machine's cores, as a server's event loops call it.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -Pbench -pl store-server test-compile exec:exec -Dbench=CurrentRecordsBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(2)
public class CurrentRecordsBenchmark {
  /** How many objects the loads touch; all fit the budget. */
  @Param({"100000"})
  public int objects;

  /** In how many operations of 100 the load misses and puts, or a commit invalidates. */
  @Param({"1", "10"})
  public int writePercent;

  /** For JMH. */
  public CurrentRecordsBenchmark() {}

  private CurrentRecords caffeine;
  private LockedLru locked;
  private Oid[] oids;
  private CurrentRecords.Entry entry;

  /** The baseline: the cache as it was, a LinkedHashMap in access order behind one lock. */
  static final class LockedLru {
    private final long budget;
    private final LinkedHashMap<Oid, CurrentRecords.Entry> entries =
        new LinkedHashMap<>(1024, 0.75f, true);
    private long size;

    LockedLru(long budget) {
      this.budget = budget;
    }

    synchronized CurrentRecords.Entry get(Oid oid) {
      return entries.get(oid);
    }

    synchronized void put(Oid oid, CurrentRecords.Entry e) {
      CurrentRecords.Entry old = entries.put(oid, e);
      size += e.data().length() - (old == null ? 0 : old.data().length());
      Iterator<Map.Entry<Oid, CurrentRecords.Entry>> it = entries.entrySet().iterator();
      while (size > budget && it.hasNext()) {
        size -= it.next().getValue().data().length();
        it.remove();
      }
    }

    synchronized void invalidate(List<Oid> oids) {
      for (Oid oid : oids) {
        CurrentRecords.Entry old = entries.remove(oid);
        if (old != null) {
          size -= old.data().length();
        }
      }
    }
  }

  @Setup
  public void setUp() {
    long budget = 256L << 20;
    caffeine = new CurrentRecords(budget);
    locked = new LockedLru(budget);
    oids = new Oid[objects];
    entry = new CurrentRecords.Entry(new Tid(1), Bytes.wrap(new byte[200]));
    for (int i = 0; i < objects; i++) {
      oids[i] = new Oid(i);
      caffeine.put(oids[i], entry, () -> true);
      locked.put(oids[i], entry);
    }
  }

  @Benchmark
  public Object caffeine() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    Oid oid = oids[r.nextInt(objects)];
    int op = r.nextInt(100);
    if (op < writePercent / 2 + writePercent % 2) {
      caffeine.put(oid, entry, () -> true);
    } else if (op < writePercent) {
      caffeine.invalidate(List.of(oid));
    }
    return caffeine.get(oid);
  }

  @Benchmark
  public Object lockedBaseline() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    Oid oid = oids[r.nextInt(objects)];
    int op = r.nextInt(100);
    if (op < writePercent / 2 + writePercent % 2) {
      locked.put(oid, entry);
    } else if (op < writePercent) {
      locked.invalidate(List.of(oid));
    }
    return locked.get(oid);
  }
}
