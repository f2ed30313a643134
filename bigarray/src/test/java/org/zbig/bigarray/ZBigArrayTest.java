package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.bigfile.ZBigFile;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.server.storage.FileStorageImport;
import org.zbig.server.storage.KvStorage;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/** ZBigArray against the records Python wrote, and the array of a real database. */
class ZBigArrayTest {
  @TempDir Path dir;

  static Stream<String> vectors() {
    return Stream.of(
        "zbigarray_f8_1d_C",
        "zbigarray_f8_3d_C",
        "zbigarray_f8_3d_F",
        "zbigarray_i4_1d_C",
        "zbigarray_i4_3d_C",
        "zbigarray_i4_3d_F",
        "zbigarray_u1_1d_C",
        "zbigarray_u1_3d_F",
        "zbigarray_c16_2d_C",
        "zbigarray_be_i2_1d_C",
        "zbigarray_bool_1d_C",
        "zbigarray_struct_1d_C",
        "zbigarray_f4_0len_C",
        "zbigarray_legacy_noorder",
        "zbigarray_numpyint_shape");
  }

  static byte[] resource(String path) throws Exception {
    return ZBigArrayTest.class.getResourceAsStream(path).readAllBytes();
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void theRecordsPythonWroteHaveTheirShapeTypeOrderAndStridesAndReencode(String name)
      throws Exception {
    byte[] bin = resource("/records/" + name + ".bin");
    JsonNode json = new ObjectMapper().readTree(resource("/records/" + name + ".json"));
    DataRecord rec = DataRecord.decode(bin);
    Tuple state = (Tuple) rec.state();
    Reference zref = (Reference) ((Map<?, ?>) state.get(1)).get("zfile");
    Map<Object, Object> slots = new LinkedHashMap<>();
    slots.put("zfile", new ZBigFile(2 << 20)); // a stand-in for the reference
    ZBigArray a = new ZBigArray();
    a.setState(Tuple.of(state.get(0), slots));
    JsonNode exp = json.get("expected");
    if (exp != null && !exp.isNull()) {
      assertThat(a.shape()).containsExactly(longs(exp.get("shape")));
      assertThat(a.dtype().str()).isEqualTo(exp.get("dtype_str").asText());
      assertThat(a.dtype().itemsize()).isEqualTo(exp.get("itemsize").asInt());
      assertThat(String.valueOf(a.order())).isEqualTo(exp.get("order").asText());
      assertThat(a.stridev()).containsExactly(longs(exp.get("stridev")));
      // what we write from the same values is what Python wrote
      Tuple ours = (Tuple) a.getState();
      Map<Object, Object> oslots = new LinkedHashMap<>();
      oslots.put("zfile", zref);
      byte[] again = new DataRecord(rec.classMeta(), Tuple.of(ours.get(0), oslots)).encode();
      assertThat(again).isEqualTo(bin);
    } else if (name.endsWith("noorder")) {
      assertThat(a.order()).isEqualTo('C'); // a missing _order means C
      assertThat(a.shape()).containsExactly(16);
    } else {
      assertThat(a.shape()).containsExactly(3, 4); // numpy int64 scalars read as ints
      assertThat(a.stridev()).containsExactly(32, 8);
    }
  }

  private static long[] longs(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  @Test
  void theArrayOfARealDatabaseOpensWithItsValues() throws Exception {
    Path data = dir.resolve("imported");
    try (var storage = KvStorage.rocks(data)) {
      FileStorageImport.run(
          Path.of(ZBigArrayTest.class.getResource("/fs/Data.fs").toURI()), storage);
    }
    JsonNode head =
        new ObjectMapper().readTree(resource("/fs/manifest.json")).get("head").get("array");
    ServerConfig m = ServerConfig.inMemory();
    try (ZeoServer server =
            ZeoServer.start(
                new ServerConfig(
                    m.host(), 0, data, "1", m.offer(), false, 100, null, true, m.maxFrame()));
        Database db =
            Database.open(
                server.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
                32 << 20);
        Connection c = db.open();
        VirtMem vm = new VirtMem(2 << 20, 64L << 20, 0)) {
      ZBigArray.register(db.registry());
      ZBigArray za = c.root().get("array", ZBigArray.class);
      assertThat(za.oid()).isEqualTo(new Oid(head.get("oid").asLong()));
      assertThat(za.shape()).containsExactly(longs(head.get("shape")));
      assertThat(za.dtype().str()).isEqualTo(head.get("dtype").asText());
      BigArray a = za.open(vm);
      double expectedSum = 0;
      try (BigArray.View all = a.view("...")) {
        NDArray arr = all.array();
        for (JsonNode run : head.get("nonzero_runs")) {
          long start = run.get(0).asLong();
          JsonNode values = run.get(1);
          for (int i = 0; i < values.size(); i++) {
            assertThat(arr.getDouble(start + i)).isEqualTo(values.get(i).asDouble());
            expectedSum += values.get(i).asDouble();
          }
        }
        assertThat(arr.sum()).isEqualTo(expectedSum);
      }
      // a view of a few elements maps only the page they are in
      try (BigArray.View v = a.view("262144:262150")) {
        assertThat(v.mapping().firstBlock()).isEqualTo(1);
        assertThat(v.mapping().blockCount()).isEqualTo(1);
        assertThat(v.array().getDouble(0)).isEqualTo(1000.0);
      }
    }
  }
}
