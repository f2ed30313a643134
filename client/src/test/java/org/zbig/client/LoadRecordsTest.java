package org.zbig.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.server.Limits;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.wire.Encoding;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.StoreA;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.TpcFinish;
import org.zbig.wire.Vote;
import org.zbig.zblk.ZBlk0Codec;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;
import org.zbig.zodb.storage.LoadResult;

/**
 * {@link Database#loadRecordsAsync} gives every record as {@link Database#loadRecord} would, in one
 * call for many from this project's server, or one {@code loadBefore} each when told not to.
 */
class LoadRecordsTest {
  private ZeoServer server;

  @BeforeEach
  void start() throws Exception {
    server = ZeoServer.start(ServerConfig.inMemory());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static Tid commit(ZeoClient zeo, List<Oid> oids, List<Tid> serials, List<Bytes> data) {
    long txn = 1;
    zeo.send(new TpcBegin(txn, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " "));
    for (int i = 0; i < oids.size(); i++) {
      zeo.send(new StoreA(oids.get(i), serials.get(i), data.get(i), txn));
    }
    zeo.invoke(id -> new Vote(id, txn));
    return zeo.invoke(id -> new TpcFinish(id, txn));
  }

  private static Bytes filled(int size, int value) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) value);
    return Bytes.wrap(b);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void everyRecordAsASingleLoadGivesItCachedOrNotMissingOrBig(boolean many) {
    try (Database db =
        Database.open(server.address(), ClientOptions.defaults().withLoadMany(many), 64 << 20)) {
      assertThat(db.zeo().loadsMany()).isEqualTo(many);
      // three records together bigger than one reply holds: the rest is asked for again
      int big = (int) (LoadBeforeMany.REPLY_BYTES * 3 / 4);
      List<Oid> oids = new ArrayList<>();
      List<Bytes> data = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        oids.add(new Oid(10 + i));
        data.add(i < 3 ? filled(big, i + 1) : Bytes.utf8("small " + i));
      }
      Tid t =
          commit(
              db.zeo(), oids, List.of(Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64), data);
      db.clearCache();
      assertThat(db.loadRecord(oids.get(4), t)).isEqualTo(new LoadResult(data.get(4), t, null));

      List<Oid> asked = new ArrayList<>(oids);
      asked.add(2, new Oid(999)); // never stored
      List<CompletableFuture<LoadResult>> got = db.loadRecordsAsync(asked, t);
      assertThat(got).hasSize(asked.size());
      for (int i = 0; i < asked.size(); i++) {
        if (i == 2) {
          CompletableFuture<LoadResult> missing = got.get(i);
          assertThatThrownBy(missing::join)
              .isInstanceOf(CompletionException.class)
              .hasCauseInstanceOf(NoSuchObjectException.class);
          continue;
        }
        int k = i < 2 ? i : i - 1;
        assertThat(got.get(i).join())
            .as("record %d", k)
            .isEqualTo(new LoadResult(data.get(k), t, null));
      }
      // the small records that came back are cached: asked again, the server sees no load
      long loads = serverLoads();
      List<CompletableFuture<LoadResult>> again = db.loadRecordsAsync(oids.subList(3, 6), t);
      for (int i = 0; i < 3; i++) {
        assertThat(again.get(i).join().data()).isEqualTo(data.get(3 + i));
      }
      assertThat(serverLoads()).isEqualTo(loads);
    }
  }

  static final byte[] ZBLK0_PREFIX = ZBlk0Codec.recordPrefix();

  private static Bytes zblk0(String cls, byte[] data) {
    return Bytes.wrap(new DataRecord(ClassMeta.of(cls), Bytes.wrap(data)).encode());
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aBigZBlk0sDataGoesStraightIntoTheSinkAndOtherRecordsComeWhole(Encoding enc)
      throws Exception {
    server.close();
    server = ZeoServer.start(ServerConfig.inMemory().withOffer(enc));
    long seed = System.nanoTime();
    Random random = new Random(seed);
    byte[] data = new byte[300_000];
    random.nextBytes(data);
    String zblk0 = "wendelin.bigfile.file_zodb.ZBlk0";
    List<Oid> oids = List.of(new Oid(10), new Oid(11), new Oid(12));
    List<Bytes> records =
        List.of(
            zblk0(zblk0, data),
            zblk0(zblk0, Arrays.copyOf(data, 1_000)), // a frame too small to be steered
            zblk0("wendelin.bigfile.file_zodb.ZBlk", data)); // another class
    try (Database db = Database.open(server.address(), ClientOptions.defaults(), 64 << 20);
        Arena arena = Arena.ofShared()) {
      assertThat(db.zeo().encoding()).isEqualTo(enc);
      Tid t = commit(db.zeo(), oids, List.of(Tid.Z64, Tid.Z64, Tid.Z64), records);
      db.clearCache();
      MemorySegment page = arena.allocate(2 << 20).fill((byte) 0x55);
      ZeoClient.Sink sink = new ZeoClient.Sink(page, ZBLK0_PREFIX);
      LoadResult got = db.loadRecordIntoAsync(oids.get(0), t, sink).join();
      assertThat(sink.filled()).as("seed %d", seed).isEqualTo(data.length);
      assertThat(page.asSlice(0, data.length).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
      assertThat(page.get(ValueLayout.JAVA_BYTE, data.length))
          .as("untouched")
          .isEqualTo((byte) 0x55);
      assertThat(got.start()).isEqualTo(t);
      assertThat(DataRecord.decode(got.data()))
          .isEqualTo(new DataRecord(ClassMeta.of(zblk0), Bytes.EMPTY));
      // not cached with its empty state: a plain load asks the server and gets the whole record
      long loads = serverLoads();
      assertThat(db.loadRecord(oids.get(0), t).data()).isEqualTo(records.get(0));
      assertThat(serverLoads()).isEqualTo(loads + 1);
      for (int i = 1; i < 3; i++) {
        ZeoClient.Sink unused = new ZeoClient.Sink(page, ZBLK0_PREFIX);
        assertThat(db.loadRecordIntoAsync(oids.get(i), t, unused).join().data())
            .isEqualTo(records.get(i));
        assertThat(unused.filled()).isEqualTo(-1);
      }
      // a sink too small for the data: the record comes whole
      db.clearCache();
      ZeoClient.Sink small = new ZeoClient.Sink(arena.allocate(1_000), ZBLK0_PREFIX);
      assertThat(db.loadRecordIntoAsync(oids.get(0), t, small).join().data())
          .isEqualTo(records.get(0));
      assertThat(small.filled()).isEqualTo(-1);
    }
  }

  /** A persistent-mapping record referring to {@code refs}. */
  private static Bytes refs(String tag, Oid... refs) {
    Map<String, Object> data = new java.util.LinkedHashMap<>();
    data.put("tag", tag);
    for (Oid r : refs) {
      data.put("ref" + r.value(), new Reference.OidOnly(r));
    }
    return Bytes.wrap(
        new DataRecord(ClassMeta.of("persistent.mapping.PersistentMapping"), Map.of("data", data))
            .encode());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aTreeLoadGivesAnObjectAndWhatItRefersToInOneCall(boolean many) {
    try (Database db =
        Database.open(server.address(), ClientOptions.defaults().withLoadMany(many), 64 << 20)) {
      assertThat(db.zeo().loadsTree()).isEqualTo(many);
      Oid root = new Oid(10);
      Oid a = new Oid(11);
      Oid b = new Oid(12);
      Oid deep = new Oid(13);
      List<Bytes> data = List.of(refs("root", a, b), refs("a", deep), refs("b"), refs("deep"));
      Tid t =
          commit(
              db.zeo(),
              List.of(root, a, b, deep),
              List.of(Tid.Z64, Tid.Z64, Tid.Z64, Tid.Z64),
              data);
      db.clearCache();
      long before = serverLoads();
      Map<Oid, LoadResult> tree = db.loadTreeAsync(root, t, 1).join();
      // one call brought root, a and b (not deep, two references away); without the call, none
      if (many) {
        assertThat(tree)
            .containsOnlyKeys(root, a, b)
            .containsEntry(a, new LoadResult(data.get(1), t, null))
            .containsEntry(b, new LoadResult(data.get(2), t, null));
      } else {
        assertThat(tree).isEmpty();
      }
      assertThat(serverLoads() - before).isEqualTo(many ? 3 : 0);
      // and cached, as single loads are
      long loads = serverLoads();
      assertThat(db.loadRecord(a, t)).isEqualTo(new LoadResult(data.get(1), t, null));
      assertThat(serverLoads() - loads).isEqualTo(many ? 0 : 1);
      // a root cached already: no call (what it refers to is most likely cached too)
      assertThat(db.loadTreeAsync(root, t, 1).join()).isEmpty();
      // a missing root: nothing, and nothing fails
      assertThat(db.loadTreeAsync(new Oid(999), t, 2).join()).isEmpty();
    }
  }

  @Test
  void loadsOfOneRevisionAskedWhileItIsInFlightAreOneRequest() throws Exception {
    // the server's storage holds the first load of oid 20 until the other calls are made
    Oid held = new Oid(20);
    AtomicBoolean holding = new AtomicBoolean();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Storage inner = KvStorage.inMemory();
    Storage gated =
        (Storage)
            Proxy.newProxyInstance(
                Storage.class.getClassLoader(),
                new Class<?>[] {Storage.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("loadBefore")
                      && held.equals(args[0])
                      && holding.compareAndSet(true, false)) {
                    entered.countDown();
                    release.await();
                  }
                  try {
                    return method.invoke(inner, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    server.close();
    server = ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), gated);
    try (Database db = Database.open(server.address(), ClientOptions.defaults(), 64 << 20)) {
      Bytes data = Bytes.utf8("asked by many");
      Tid t = commit(db.zeo(), List.of(held), List.of(Tid.Z64), List.of(data));
      db.clearCache();
      long loads = serverLoads();
      holding.set(true);
      List<CompletableFuture<LoadResult>> got = new ArrayList<>();
      got.add(db.loadRecordAsync(held, t));
      assertThat(entered.await(10, TimeUnit.SECONDS)).as("the first load reached storage").isTrue();
      for (int i = 0; i < 7; i++) {
        got.add(db.loadRecordAsync(held, t)); // the first is still unanswered
      }
      release.countDown();
      for (CompletableFuture<LoadResult> f : got) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(new LoadResult(data, t, null));
      }
      assertThat(serverLoads() - loads).as("loadBefore requests the server got").isEqualTo(1);
      // answered and cached: asked again, still none
      assertThat(db.loadRecord(held, t)).isEqualTo(new LoadResult(data, t, null));
      assertThat(serverLoads() - loads).isEqualTo(1);
    } finally {
      release.countDown();
    }
  }

  private long serverLoads() {
    return ((Number) server.status().get("1").get("loads")).longValue();
  }
}
