package org.zbig.client.bigfile;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.zbig.zblk.ZBlkFormat;
import org.zbig.zodb.Oid;
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
