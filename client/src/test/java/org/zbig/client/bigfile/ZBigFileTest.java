package org.zbig.client.bigfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.OpaqueObject;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.Mapping;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.server.storage.FileStorageImport;
import org.zbig.server.storage.KvStorage;
import org.zbig.wire.Encoding;
import org.zbig.zblk.ZBlkFormat;
import org.zbig.zodb.Oid;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.Reference;

/** ZBigFile against real servers: Python's Data.fs, and a writer and a reader in step. */
class ZBigFileTest {
  @TempDir Path dir;

  private static Database open(ZeoServer s) {
    return Database.open(
        s.address(),
        ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)),
        64 << 20);
  }

  @Test
  void theArrayPythonWroteReadsBackThroughZBigFile() throws Exception {
    Path data = dir.resolve("imported");
    try (var storage = KvStorage.rocks(data)) {
      FileStorageImport.run(
          Path.of(ZBigFileTest.class.getResource("/fs/Data.fs").toURI()), storage);
    }
    JsonNode manifest =
        new ObjectMapper().readTree(ZBigFileTest.class.getResourceAsStream("/fs/manifest.json"));
    JsonNode array = manifest.get("head").get("array");
    ServerConfig m = ServerConfig.inMemory();
    try (ZeoServer server =
            ZeoServer.start(
                new ServerConfig(
                    m.host(), 0, data, "1", m.offer(), false, 100, null, true, m.maxFrame()));
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 0)) {
      OpaqueObject zarray = (OpaqueObject) c.root().get("array");
      Object slots = ((Tuple) zarray.decoded().state()).get(1);
      Oid zfileOid = ((Reference) ((Map<?, ?>) slots).get("zfile")).oid();
      assertThat(zfileOid).isEqualTo(new Oid(array.get("zfile_oid").asLong()));
      ZBigFile zfile = c.get(zfileOid, ZBigFile.class);
      assertThat(zfile.blockSize()).isEqualTo(array.get("blksize").asLong());
      FileHandle h = zfile.open(vm);
      long nbytes = 786432L * 8;
      try (Mapping map = h.map(0, 3, false)) {
        MemorySegment bytes = map.segment().asSlice(0, nbytes);
        String sha =
            HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(bytes.toArray(ValueLayout.JAVA_BYTE)));
        assertThat(sha).isEqualTo(array.get("bytes_sha256").asText());
        // spot checks from the manifest's non-zero runs: element 5 is 42.0, 267267 is -1.25
        assertThat(bytes.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, 5)).isEqualTo(42.0);
        assertThat(bytes.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, 267267)).isEqualTo(-1.25);
      }
    }
  }

  /**
   * A writer grows, rewrites and (with auto) re-formats blocks while a reader keeps a mapping open;
   * after each of the reader's transaction boundaries it sees exactly the writer's data.
   */
  @ParameterizedTest
  @EnumSource(ZBlkFormat.class)
  void aReaderFollowsAWriterExactly(ZBlkFormat format) throws Exception {
    runWriterReader(format, 420, 6, 7);
  }

  /**
   * Invalidation is exact: after another client changes blocks 1 (mapped here) and 5 (loaded, not
   * mapped), exactly block 1 is loaded again (in place) and block 5 dropped; the other 14 pages
   * stay, not loaded again. Invalidating too much fails this as surely as too little.
   */
  @ParameterizedTest
  @EnumSource(
      value = ZBlkFormat.class,
      names = {"ZBLK0", "ZBLK1"})
  void anInvalidationDropsExactlyTheChangedBlocks(ZBlkFormat format) throws Exception {
    int page = 4096;
    var saved = ZBigFile.afterRead;
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database wdb = open(server);
        Database rdb = open(server);
        Connection w = wdb.open();
        Connection rd = rdb.open();
        VirtMem wvm = new VirtMem(page, 64L << 20, 0);
        VirtMem rvm = new VirtMem(page, 64L << 20, 0)) {
      ZBigFile wf = new ZBigFile(page);
      wf.setFormat(format);
      w.root().put("f", wf);
      w.commit();
      FileHandle wh = wf.open(wvm);
      try (Mapping m = wh.map(0, 16, true)) {
        for (int b = 0; b < 16; b++) {
          m.segment().asSlice((long) b * page, page).fill((byte) (b + 1));
        }
      }
      w.commit();
      rd.sync();
      FileHandle rh = rd.root().get("f", ZBigFile.class).open(rvm);
      rh.map(0, 16, false).close(); // all 16 loaded, none mapped
      Mapping kept = rh.map(1, 1, false); // block 1 mapped across the boundary
      java.util.Map<Long, Integer> loads = new java.util.concurrent.ConcurrentHashMap<>();
      ZBigFile.afterRead = blk -> loads.merge(blk, 1, Integer::sum);
      try (Mapping m = wh.map(1, 1, true)) {
        m.segment().set(ValueLayout.JAVA_BYTE, 7, (byte) 99);
      }
      try (Mapping m = wh.map(5, 1, true)) {
        m.segment().set(ValueLayout.JAVA_BYTE, 9, (byte) 98);
      }
      w.commit();
      loads.clear(); // the writer's own loads, if any, do not count
      rd.sync();
      assertThat(loads).as("blocks loaded again").containsExactly(java.util.Map.entry(1L, 1));
      java.util.Set<Long> expected = new java.util.TreeSet<>();
      for (long b = 0; b < 16; b++) {
        if (b != 5) {
          expected.add(b);
        }
      }
      assertThat(rh.pageTable().keySet()).isEqualTo(expected);
      assertThat(kept.segment().get(ValueLayout.JAVA_BYTE, 7)).isEqualTo((byte) 99);
      kept.close();
      try (Mapping m = rh.map(5, 1, false)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 9)).isEqualTo((byte) 98);
      }
      assertThat(loads).containsOnlyKeys(1L, 5L);
    } finally {
      ZBigFile.afterRead = saved;
    }
  }

  @Test
  void aFileOfMoreThan15000BlocksGrowsASecondLevelAndStaysExact() throws Exception {
    runWriterReader(ZBlkFormat.AUTO, 15_100, 3, 11);
  }

  private void runWriterReader(ZBlkFormat format, int blocks, int rounds, long seed)
      throws Exception {
    int page = 4096;
    Random r = new Random(seed);
    List<byte[]> model = new ArrayList<>();
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database wdb = open(server);
        Database rdb = open(server);
        Connection w = wdb.open();
        Connection rd = rdb.open();
        VirtMem wvm = new VirtMem(page, 64L << 20, 0);
        VirtMem rvm = new VirtMem(page, 64L << 20, 2)) {
      ZBigFile wf = new ZBigFile(page);
      wf.setFormat(format);
      w.root().put("f", wf);
      w.commit();
      FileHandle wh = wf.open(wvm);
      rd.sync();
      ZBigFile rf = rd.root().get("f", ZBigFile.class);
      FileHandle rh = rf.open(rvm);
      Mapping kept = rh.map(0, 8, false); // open across every boundary
      try {
        for (int round = 0; round < rounds; round++) {
          int target = (int) ((long) blocks * (round + 1) / rounds);
          // append blocks in runs, partly zero at their ends
          for (int start = model.size(); start < target; start += 256) {
            int n = Math.min(256, target - start);
            try (Mapping m = wh.map(start, n, true)) {
              for (int i = 0; i < n; i++) {
                byte[] b = new byte[page];
                int fill = r.nextInt(page + 1);
                for (int k = 0; k < fill; k += 1 + r.nextInt(64)) {
                  b[k] = (byte) (1 + r.nextInt(255));
                }
                MemorySegment.copy(b, 0, m.segment(), ValueLayout.JAVA_BYTE, (long) i * page, page);
                model.add(b);
              }
            }
          }
          // small and big in-place changes of random blocks, and a block zeroed
          for (int k = 0; k < 20; k++) {
            int blk = r.nextInt(model.size());
            try (Mapping m = wh.map(blk, 1, true)) {
              byte[] b = model.get(blk);
              int changes = r.nextBoolean() ? 1 + r.nextInt(8) : page;
              for (int i = 0; i < changes; i++) {
                b[r.nextInt(page)] = (byte) r.nextInt();
              }
              if (k == 0) {
                Arrays.fill(b, (byte) 0);
              }
              MemorySegment.copy(b, 0, m.segment(), ValueLayout.JAVA_BYTE, 0, page);
            }
          }
          w.commit("round " + round);
          rd.sync();
          check(rh, kept, model, page);
        }
      } finally {
        kept.close();
      }
    }
  }

  /**
   * Our records of a new ZBigFile and of a ZBlk1 of zeros are Python's ({@code
   * records/zbigfile_empty}, {@code records/zblk1_empty}) once their references carry the same
   * oids.
   */
  @Test
  void aCommitOfBlocksDoesNotLoadTheirRecordsBack() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 0)) {
      ZBigFile f = new ZBigFile(2 << 20);
      f.setFormat(ZBlkFormat.ZBLK0);
      c.root().put("f", f);
      c.commit();
      FileHandle h = f.open(vm);
      try (Mapping m = h.map(0, 8, true)) {
        for (long b = 0; b < 8; b++) {
          m.segment().set(ValueLayout.JAVA_LONG, b * (2 << 20) + 8, b + 1);
        }
        long before = loads(server);
        c.commit();
        // after the commit each block notes what it depends on (the blktab path and its ZBlk0):
        // the path's few records may be read, the eight 2 MiB ZBlk0 records it just wrote not
        assertThat(loads(server) - before).isLessThan(8);
        // and the notes are right: a change by another client still reaches the pages
        try (Database other = open(server);
            Connection c2 = other.open()) {
          ZBigFile f2 = c2.root().get("f", ZBigFile.class);
          try (VirtMem vm2 = new VirtMem(2 << 20, 16L << 20, 0);
              Mapping m2 = f2.open(vm2).map(5, 1, true)) {
            m2.segment().set(ValueLayout.JAVA_LONG, 8, 99L);
            c2.commit();
          }
        }
        c.sync();
        assertThat(m.segment().get(ValueLayout.JAVA_LONG, 5L * (2 << 20) + 8)).isEqualTo(99L);
        assertThat(m.segment().get(ValueLayout.JAVA_LONG, 4L * (2 << 20) + 8)).isEqualTo(5L);
      }
    }
  }

  @Test
  void zblk0RecordsComeFromReusedBuffersAndEachCommitStoresWhatItsPagesHeld() throws Exception {
    int bs = 64 << 10;
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(bs, 16L << 20, 0)) {
      ZBigFile f = new ZBigFile(bs);
      f.setFormat(ZBlkFormat.ZBLK0);
      RecordBuffers buffers = new RecordBuffers(bs); // not the shared ones: counted here alone
      f.useRecordBuffers(buffers);
      c.root().put("f", f);
      c.commit();
      List<Map<Long, byte[]>> rounds = new ArrayList<>();
      List<org.zbig.zodb.Tid> tids = new ArrayList<>();
      try (Mapping m = f.open(vm).map(0, 5, true)) {
        for (int round = 0; round < 3; round++) {
          Map<Long, byte[]> want = new java.util.HashMap<>();
          for (long b = 0; b < 4; b++) {
            // each round a different length, all of them over 256 bytes and under the block
            byte[] data = new byte[1000 + (int) (b * 7000) + round * 3000];
            new Random(round * 10L + b).nextBytes(data);
            data[data.length - 1] = 1;
            MemorySegment page = m.segment().asSlice(b * bs, bs);
            page.fill((byte) 0);
            MemorySegment.copy(data, 0, page, ValueLayout.JAVA_BYTE, 0, data.length);
            want.put(b, data);
          }
          byte[] small = {
            (byte) round, 2, 3
          }; // under 256 bytes: the general writer's SHORT_BINBYTES
          MemorySegment.copy(small, 0, m.segment(), ValueLayout.JAVA_BYTE, 4L * bs, 3);
          want.put(4L, small);
          tids.add(c.commit());
          rounds.add(want);
          assertThat(f.recordBuffers()).isSameAs(buffers);
          // the four big blocks' buffers came back after the commit; the later rounds made none
          assertThat(buffers.kept()).as("round %d", round).isEqualTo(4);
          assertThat(buffers.made()).as("round %d", round).isEqualTo(4);
        }
      }
      // every round's records, as the general writer encodes the bytes the pages held
      for (int round = 0; round < 3; round++) {
        for (var e : rounds.get(round).entrySet()) {
          Oid zblk = ((ZBlk0) f.blktab().get(e.getKey())).oid();
          org.zbig.zodb.Tid tid = tids.get(round);
          byte[] stored =
              db.zeo().invoke(id -> new org.zbig.wire.LoadSerial(id, zblk, tid)).toByteArray();
          byte[] expected =
              new org.zbig.zodb.record.DataRecord(
                      org.zbig.zodb.record.ClassMeta.of("wendelin.bigfile.file_zodb.ZBlk0"),
                      org.zbig.zodb.pickle.Bytes.wrap(e.getValue()))
                  .encode();
          assertThat(stored).as("round %d block %d", round, e.getKey()).isEqualTo(expected);
        }
      }
      // the objects dropped their state with their buffers: read again, they hold the last round
      ZBlk0 z = (ZBlk0) f.blktab().get(2L);
      assertThat(z.data().toByteArray()).isEqualTo(rounds.get(2).get(2L));

      // a commit that fails after its blocks were written: their buffers are not given back (the
      // socket may still be writing them), the pages go back to what the database holds
      try (Database other = open(server);
          Connection c2 = other.open()) {
        ZBigFile f2 = c2.root().get("f", ZBigFile.class);
        try (VirtMem vm2 = new VirtMem(bs, 16L << 20, 0);
            Mapping m2 = f2.open(vm2).map(1, 1, true)) {
          m2.segment().fill((byte) 9);
          c2.commit();
        }
      }
      try (Mapping m = f.open(vm).map(1, 1, true)) {
        ((ZBlk0) f.blktab().get(1L)).activate(); // read at this snapshot: the commit conflicts
        m.segment().fill((byte) 5);
        assertThatThrownBy(c::commit).isInstanceOf(ConflictException.class);
        assertThat(buffers.made()).isEqualTo(4);
        assertThat(buffers.kept()).as("one taken, not given back").isEqualTo(3);
        c.abort();
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 123)).isEqualTo((byte) 9);
      }
    }
  }

  private static long loads(ZeoServer server) {
    return ((Number) server.status().values().iterator().next().get("loads")).longValue();
  }

  @Test
  void theRecordsOfAFileAndAnEmptyZBlk1AreByteForBytePythons() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(2 << 20, 16L << 20, 0)) {
      ZBigFile f = new ZBigFile(2 << 20);
      f.setFormat(ZBlkFormat.ZBLK1);
      c.root().put("f", f);
      c.commit();
      try (Mapping m = f.open(vm).map(0, 1, true)) {
        m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        c.commit();
        m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0); // all zeros again
        c.commit();
      }
      assertThat(withOids(db, f.oid(), 156)).isEqualTo(resource("zbigfile_empty"));
      ZBlk1 z = (ZBlk1) f.blktab().get(0L);
      assertThat(z.chunktab().isEmpty()).isTrue();
      assertThat(withOids(db, z.oid(), 148)).isEqualTo(resource("zblk1_empty"));
    }
  }

  private static byte[] resource(String name) throws Exception {
    return ZBigFileTest.class.getResourceAsStream("/records/" + name + ".bin").readAllBytes();
  }

  /** The current record of {@code oid}, its one reference renumbered to {@code refOid}. */
  private static byte[] withOids(Database db, Oid oid, long refOid) {
    var rec =
        org.zbig.zodb.record.DataRecord.decode(db.zeo().loadCurrent(oid).orElseThrow().data());
    Object state =
        switch (rec.state()) {
          case Reference.OidClass r -> new Reference.OidClass(new Oid(refOid), r.klass());
          case Tuple t ->
              Tuple.of(
                  t.get(0),
                  new Reference.OidClass(new Oid(refOid), ((Reference.OidClass) t.get(1)).klass()));
          default -> throw new AssertionError(rec.state());
        };
    return new org.zbig.zodb.record.DataRecord(rec.classMeta(), state).encode();
  }

  /** The oids the last transaction stored, through the server's iterator. */
  private static java.util.Set<Oid> lastTransactionOids(Database db) {
    var zeo = db.zeo();
    org.zbig.zodb.Tid last = zeo.invoke(org.zbig.wire.LastTransaction::new);
    long iid = zeo.invoke(id -> new org.zbig.wire.IteratorStart(id, last, last));
    var first = zeo.invoke(id -> new org.zbig.wire.IteratorNext(id, iid));
    assertThat(first).as("the last transaction").isPresent();
    long rid = zeo.invoke(id -> new org.zbig.wire.IteratorRecordStart(id, iid, last));
    java.util.Set<Oid> out = new java.util.HashSet<>();
    for (var rec = zeo.invoke(id -> new org.zbig.wire.IteratorRecordNext(id, rid));
        rec.isPresent();
        rec = zeo.invoke(id -> new org.zbig.wire.IteratorRecordNext(id, rid))) {
      out.add(rec.get().oid());
    }
    return out;
  }

  @Test
  void zblk1RewritesOnlyChangedChunksAndAFormatChangeMakesANewObject() throws Exception {
    int page = 64 << 10; // 16 chunks
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(page, 16L << 20, 0)) {
      ZBigFile f = new ZBigFile(page);
      f.setFormat(ZBlkFormat.ZBLK1);
      c.root().put("f", f);
      c.commit();
      FileHandle h = f.open(vm);
      try (Mapping m = h.map(0, 1, true)) {
        m.segment().fill((byte) 1);
        c.commit();
        ZBlk1 z = (ZBlk1) f.blktab().get(0L);
        assertThat(z.chunktab().size()).isEqualTo(16);
        ZData fifth = (ZData) z.chunktab().get(5L * 4096);
        m.segment().set(ValueLayout.JAVA_BYTE, 5L * 4096 + 100, (byte) 2);
        c.commit();
        // the changed chunk and its ZBlk1 (so that other clients are told), nothing else
        assertThat(lastTransactionOids(db)).containsExactlyInAnyOrder(z.oid(), fifth.oid());
        // switching the format replaces the object, never converts it in place
        f.setFormat(ZBlkFormat.ZBLK0);
        m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 3);
        c.commit();
        Object now = f.blktab().get(0L);
        assertThat(now).isInstanceOf(ZBlk0.class);
        assertThat(((ZBlk0) now).oid()).isNotEqualTo(z.oid());
        assertThat(((ZBlk0) now).data().length()).isEqualTo(page);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = ZBlkFormat.class,
      names = {"ZBLK0", "ZBLK1"})
  void aBlockLoadedOverLeftOverBytesReadsAsLoadedIntoZeros(ZBlkFormat format) throws Exception {
    blocksLoadedOver(format, 64 << 10, 5000);
  }

  /** The same with blocks big enough for their data to come straight into the page. */
  @ParameterizedTest
  @EnumSource(Encoding.class)
  void aZBlk0LoadedStraightIntoItsPageReadsAsLoadedIntoZeros(Encoding encoding) throws Exception {
    List<Long> steered = new ArrayList<>();
    ZBigFile.intoPage = steered::add;
    try {
      blocksLoadedOver(ZBlkFormat.ZBLK0, 256 << 10, 100_000, encoding);
    } finally {
      ZBigFile.intoPage = blk -> {};
    }
    // blocks 0 and 2 (100,100 and 262,144 bytes of data), twice each (into zeros, over bytes)
    assertThat(steered).containsExactly(0L, 0L, 2L, 2L);
  }

  private static void blocksLoadedOver(ZBlkFormat format, int page, int fill) throws Exception {
    blocksLoadedOver(format, page, fill, Encoding.PICKLE);
  }

  private static void blocksLoadedOver(ZBlkFormat format, int page, int fill, Encoding encoding)
      throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory().withOffer(encoding));
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(page, 16L << 20, 0)) {
      ZBigFile f = new ZBigFile(page);
      f.setFormat(format);
      c.root().put("f", f);
      c.commit();
      try (Mapping m = f.open(vm).map(0, 3, true)) {
        // block 0: data then trailing zeros (trimmed by ZBlk0, chunks left out by ZBlk1); block 1
        // a hole in the middle; block 2 only its last byte
        m.segment().asSlice(100, fill).fill((byte) 7);
        m.segment().set(ValueLayout.JAVA_BYTE, 3L * page - 1, (byte) 9);
        c.commit();
      }
      try (Connection reader = db.open()) {
        ZBigFile r = reader.root().get("f", ZBigFile.class);
        for (long blk = 0; blk < 4; blk++) { // block 3: past the end
          MemorySegment zeros = MemorySegment.ofArray(new byte[page]);
          r.loadBlock(blk, zeros);
          MemorySegment over = MemorySegment.ofArray(new byte[page]);
          over.fill((byte) 0x5A);
          r.loadBlockOver(blk, over);
          assertThat(over.toArray(ValueLayout.JAVA_BYTE))
              .as("block %d", blk)
              .isEqualTo(zeros.toArray(ValueLayout.JAVA_BYTE));
        }
      }
    }
  }

  @Test
  void aBadZblkFormatInTheEnvironmentFailsTheWriteNamingItAndNeverAReader() throws Exception {
    int page = 64 << 10;
    var saved = ZBigFile.environment;
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection w = db.open();
        Connection r = db.open();
        VirtMem vm = new VirtMem(page, 16L << 20, 0);
        VirtMem vm2 = new VirtMem(page, 16L << 20, 0)) {
      ZBigFile f = new ZBigFile(page);
      w.root().put("f", f);
      w.commit();
      FileHandle h = f.open(vm);
      try (Mapping m = h.map(0, 1, true)) {
        m.segment().fill((byte) 7);
        w.commit();
      }
      ZBigFile.environment = () -> Map.of(ZBlkFormat.ENV, "ZBlk9");
      // a reader, and a new ZBigFile object, are not affected
      r.sync();
      ZBigFile read = (ZBigFile) r.root().get("f");
      try (Mapping m = read.open(vm2).map(0, 1, false)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, page - 1)).isEqualTo((byte) 7);
      }
      assertThat(new ZBigFile(page)).isNotNull();
      // one file object maps into one VirtMem: the same handle again, another VirtMem refused
      assertThat(f.open(vm)).isSameAs(h);
      assertThatThrownBy(() -> f.open(vm2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is open in another VirtMem");
      // the write fails with the value and the expected ones, and the file is left as it was
      try (Mapping m = h.map(0, 1, true)) {
        m.segment().fill((byte) 8);
        assertThatThrownBy(w::commit)
            .hasStackTraceContaining(
                "WENDELIN_CORE_ZBLK_FMT: 'ZBlk9' (expected: ZBlk0, ZBlk1 or auto)");
      }
      w.abort();
      r.sync();
      try (Mapping m = read.open(vm2).map(0, 1, false)) {
        assertThat(m.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);
      }
    } finally {
      ZBigFile.environment = saved;
    }
  }

  /**
   * A first load of a block, held (by a latch) after it read the records of snapshot T1, while its
   * connection crosses a boundary to T2: the page must show T2, never T1 (wendelin.core's {@code
   * PAGE_LOADING_INVALIDATED}). Two cases: the block itself changed; the block table grew so that
   * the block's path changed, and a later change of the block is then seen through the new path.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"block changed", "path changed"})
  void aLoadThatCrossesATransactionBoundaryShowsTheNewSnapshot(String variant) throws Exception {
    int page = 64 << 10;
    var saved = ZBigFile.afterRead;
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database wdb = open(server);
        Database rdb = open(server);
        Connection w = wdb.open();
        Connection r = rdb.open();
        VirtMem wvm = new VirtMem(page, 64L << 20, 0);
        VirtMem rvm = new VirtMem(page, 64L << 20, 0)) {
      ZBigFile f = new ZBigFile(page);
      w.root().put("f", f);
      w.commit();
      FileHandle wh = f.open(wvm);
      try (Mapping m = wh.map(0, 1, true)) {
        m.segment().fill((byte) 'A');
        w.commit();
      }
      r.sync();
      ZBigFile rf = (ZBigFile) r.root().get("f");
      FileHandle rh = rf.open(rvm);
      CountDownLatch reading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      java.util.concurrent.atomic.AtomicBoolean once =
          new java.util.concurrent.atomic.AtomicBoolean();
      ZBigFile.afterRead =
          blk -> {
            if (blk == 0 && once.compareAndSet(false, true)) {
              reading.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          };
      java.util.concurrent.CompletableFuture<Byte> seen =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (Mapping m = rh.map(0, 1, false)) {
              return m.segment().get(ValueLayout.JAVA_BYTE, page / 2);
            }
          });
      assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue(); // the load read T1's records
      if (variant.equals("block changed")) {
        try (Mapping m = wh.map(0, 1, true)) {
          m.segment().fill((byte) 'B');
          w.commit();
        }
      } else {
        try (Mapping m = wh.map(1, 150, true)) { // the block table splits: block 0's path changes
          m.segment().fill((byte) 'x');
          w.commit();
        }
      }
      r.sync(); // the boundary to T2, while the load is held at T1
      release.countDown();
      byte expected = (byte) (variant.equals("block changed") ? 'B' : 'A');
      assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo(expected);
      if (variant.equals("path changed")) {
        // a later change that replaces block 0's object is seen through the new path
        f.setFormat(ZBlkFormat.ZBLK1);
        try (Mapping m = wh.map(0, 1, true)) {
          m.segment().fill((byte) 'C');
          w.commit();
        }
        r.sync();
        try (Mapping m = rh.map(0, 1, false)) {
          assertThat(m.segment().get(ValueLayout.JAVA_BYTE, page / 2)).isEqualTo((byte) 'C');
        }
      }
    } finally {
      ZBigFile.afterRead = saved;
    }
  }

  /** Every record reachable from {@code oid}, into {@code folder} by oid. */
  private static void export(Database db, Oid oid, Path folder, java.util.Set<Oid> seen)
      throws Exception {
    if (!seen.add(oid)) {
      return;
    }
    var rec = db.zeo().loadCurrent(oid).orElseThrow().data();
    java.nio.file.Files.write(folder.resolve(oid.toHex()), rec.toByteArray());
    List<Reference> refs = new ArrayList<>();
    collect(org.zbig.zodb.record.DataRecord.decode(rec).state(), refs);
    for (Reference r : refs) {
      export(db, r.oid(), folder, seen);
    }
  }

  private static void collect(Object v, List<Reference> out) {
    switch (v) {
      case Reference r -> out.add(r);
      case Tuple t -> t.items().forEach(x -> collect(x, out));
      case List<?> l -> l.forEach(x -> collect(x, out));
      case Map<?, ?> m -> m.values().forEach(x -> collect(x, out));
      case null, default -> {}
    }
  }

  @ParameterizedTest
  @EnumSource(ZBlkFormat.class)
  void pythonReadsTheFilesWeWriteInEveryFormat(ZBlkFormat format) throws Exception {
    boolean python =
        java.nio.file.Files.isExecutable(Path.of("/usr/bin/python3"))
            && new ProcessBuilder("/usr/bin/python3", "-c", "import BTrees, persistent, zodbpickle")
                    .start()
                    .waitFor()
                == 0;
    if (System.getenv("CI") == null) {
      org.junit.jupiter.api.Assumptions.assumeTrue(
          python, "/usr/bin/python3 with BTrees, persistent and zodbpickle is not installed");
    }
    int page = 4096;
    Random r = new Random(5);
    Map<String, String> shas = new java.util.TreeMap<>();
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db = open(server);
        Connection c = db.open();
        VirtMem vm = new VirtMem(page, 64L << 20, 0)) {
      ZBigFile f = new ZBigFile(page);
      f.setFormat(format);
      c.root().put("f", f);
      c.commit();
      FileHandle h = f.open(vm);
      byte[][] blocks = new byte[300][];
      for (int round = 0; round < 3; round++) {
        try (Mapping m = h.map(0, blocks.length, true)) {
          for (int b = round; b < blocks.length; b += 1 + round) {
            byte[] data = new byte[page];
            int n = r.nextInt(page);
            for (int i = 0; i < n; i += 1 + r.nextInt(200)) {
              data[i] = (byte) (1 + r.nextInt(255));
            }
            if (b % 50 == 7) {
              data = new byte[page]; // an all-zero block
            }
            blocks[b] = data;
            MemorySegment.copy(data, 0, m.segment(), ValueLayout.JAVA_BYTE, (long) b * page, page);
          }
        }
        c.commit();
      }
      var digest = MessageDigest.getInstance("SHA-256");
      for (int b = 0; b < blocks.length; b++) {
        if (blocks[b] != null) {
          shas.put(String.valueOf(b), HexFormat.of().formatHex(digest.digest(blocks[b])));
        }
      }
      Path folder = java.nio.file.Files.createDirectories(dir.resolve("records"));
      export(db, f.oid(), folder, new java.util.HashSet<>());
      Path json = dir.resolve("expected.json");
      new ObjectMapper().writeValue(json.toFile(), Map.of("blksize", page, "blocks", shas));
      Path script = Path.of("src/test/python/check_zbigfile.py").toAbsolutePath();
      Process p =
          new ProcessBuilder(
                  "/usr/bin/python3",
                  script.toString(),
                  folder.toString(),
                  f.oid().toHex(),
                  json.toString())
              .redirectErrorStream(true)
              .start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(out).isZero();
      assertThat(out).contains("ok " + shas.size() + " blocks");
    }
  }

  private static void check(FileHandle rh, Mapping kept, List<byte[]> model, int page) {
    for (int i = 0; i < 8 && i < model.size(); i++) {
      byte[] got = kept.segment().asSlice((long) i * page, page).toArray(ValueLayout.JAVA_BYTE);
      assertThat(got).as("kept mapping, block %d", i).isEqualTo(model.get(i));
    }
    for (int start = 0; start < model.size(); start += 512) {
      int n = Math.min(512, model.size() - start);
      try (Mapping m = rh.map(start, n, false)) {
        for (int i = 0; i < n; i++) {
          byte[] got = m.segment().asSlice((long) i * page, page).toArray(ValueLayout.JAVA_BYTE);
          if (!Arrays.equals(got, model.get(start + i))) {
            throw new AssertionError("block " + (start + i) + " differs from the writer's");
          }
        }
      }
    }
  }
}
