package org.zbig.zodb.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tagged;
import org.zbig.zodb.Vectors;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;

/**
 * Records written by our writer are accepted by real Python ({@code /usr/bin/python3} with Debian's
 * zodbpickle, persistent, BTrees and numpy) and load to an equal state (docs/formats.md §9).
 * Outside CI the test is skipped when those packages are missing; in CI it fails.
 */
class PythonInteropTest {
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path CHECKER = Path.of("src/test/python/check_records.py");

  static final String PM = "persistent.mapping.PersistentMapping";
  static final String ZBLK0 = "wendelin.bigfile.file_zodb.ZBlk0";

  @Test
  void pythonLoadsEveryRecordWeWrite(@TempDir Path dir) throws Exception {
    requirePython();
    Map<String, DataRecord> records = new LinkedHashMap<>();
    Vectors.records("records")
        .forEach(v -> records.put("vector_" + v.name(), DataRecord.decode(v.bytes())));
    records.putAll(javaWrittenRecords());
    for (Map.Entry<String, DataRecord> e : records.entrySet()) {
      write(dir, e.getKey(), e.getValue());
    }

    Checked c = check(dir);
    assertThat(c.output())
        .as("checker output")
        .contains("checked " + records.size() + " records: " + records.size() + " ok");
    assertThat(c.exit()).isZero();
  }

  @Test
  void pythonRejectsABrokenRecord(@TempDir Path dir) throws Exception {
    requirePython();
    // an LOBTree whose inline bucket has a str key: Python's C BTrees code must refuse it
    write(
        dir,
        "bad_lobtree",
        new DataRecord(
            ClassMeta.of("BTrees.LOBTree.LOBTree"),
            Tuple.of(Tuple.of(Tuple.of(Tuple.of("not an int", ref(3, ZBLK0)))))));
    Checked c = check(dir);
    assertThat(c.output()).contains("FAIL bad_lobtree").contains("checked 1 records: 0 ok");
    assertThat(c.exit()).isEqualTo(1);
  }

  /** The checker's exit code and output. */
  record Checked(int exit, String output) {}

  /** Runs the Python checker over the records in {@code dir}. */
  static Checked check(Path dir) throws Exception {
    Process p =
        new ProcessBuilder(PYTHON.toString(), CHECKER.toString(), dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("checker finished").isTrue();
    return new Checked(p.exitValue(), out);
  }

  static Map<String, DataRecord> javaWrittenRecords() {
    Map<String, DataRecord> m = new LinkedHashMap<>();
    Map<Object, Object> data = new LinkedHashMap<>();
    data.put("child", ref(1, PM));
    data.put("int", 42L);
    data.put("neg", -70000L);
    data.put("big", 1L << 40);
    data.put("huge", BigInteger.TWO.pow(70).negate());
    data.put("float", 2.5);
    data.put("str", "h\u00e9llo \uD83D\uDE00");
    data.put("bytes", Bytes.ofHex("00ff00"));
    data.put("none", null);
    data.put("bool", true);
    data.put("tuple", Tuple.of(1L, "a", Tuple.EMPTY));
    data.put("list", new ArrayList<>(List.of(1L, 2L, 3L)));
    data.put("nested", new LinkedHashMap<>(Map.of("k", "v")));
    data.put("weak", new Reference.Weak(new Oid(7), null));
    data.put("again", ref(1, PM));
    Map<Object, Object> state = new LinkedHashMap<>();
    state.put("data", data);
    m.put("java_root", new DataRecord(ClassMeta.of(PM), state));

    // a block table with one inline bucket of 3 blocks, and a 2-bucket IOBTree
    m.put(
        "java_lobtree_inline",
        new DataRecord(
            ClassMeta.of("BTrees.LOBTree.LOBTree"),
            Tuple.of(
                Tuple.of(
                    Tuple.of(Tuple.of(0L, ref(3, ZBLK0), 1L, ref(4, ZBLK0), 7L, ref(5, ZBLK0)))))));
    m.put(
        "java_iobtree_children",
        new DataRecord(
            ClassMeta.of("BTrees.IOBTree.IOBTree"),
            Tuple.of(
                Tuple.of(
                    ref(10, "BTrees.IOBTree.IOBucket"),
                    122880L,
                    ref(11, "BTrees.IOBTree.IOBucket")),
                ref(10, "BTrees.IOBTree.IOBucket"))));
    List<Object> items = new ArrayList<>();
    for (long k = 0; k < 30; k++) {
      items.add(k * 4096);
      items.add(ref(100 + k, "wendelin.bigfile.file_zodb.ZData"));
    }
    m.put(
        "java_iobucket_next",
        new DataRecord(
            ClassMeta.of("BTrees.IOBTree.IOBucket"),
            Tuple.of(Tuple.copyOf(items), ref(11, "BTrees.IOBTree.IOBucket"))));
    m.put(
        "java_oobtree_inline",
        new DataRecord(
            ClassMeta.of("BTrees.OOBTree.OOBTree"),
            Tuple.of(Tuple.of(Tuple.of(Tuple.of("a", 1L, "b", Bytes.ofHex("02")))))));

    byte[] block = new byte[2 * 1024 * 1024];
    Arrays.fill(block, 0, 300_000, (byte) 7);
    block[1_000_000] = 1;
    m.put(
        "java_zblk0_2mib",
        new DataRecord(ClassMeta.of(ZBLK0), Bytes.wrap(block).slice(0, 1_000_001)));
    m.put(
        "java_zdata",
        new DataRecord(
            ClassMeta.of("wendelin.bigfile.file_zodb.ZData"), Bytes.ofHex("0102030000000009")));
    m.put(
        "java_zbigfile",
        new DataRecord(
            ClassMeta.of("wendelin.bigfile.file_zodb.ZBigFile"),
            Tuple.of(2097152L, ref(0x96, "BTrees.LOBTree.LOBTree"))));

    String lt = "<"; // one object, as numpy shares its byte-order strings
    Map<Object, Object> arr = new LinkedHashMap<>();
    arr.put("_dtype", dtype("f8", lt));
    arr.put("_shape", Tuple.of(10L, 20L, 3L));
    arr.put("_order", "F");
    arr.put("_stridev", Tuple.of(8L, 80L, 1600L));
    Map<Object, Object> slots = new LinkedHashMap<>();
    slots.put("zfile", ref(0x16, "wendelin.bigfile.file_zodb.ZBigFile"));
    m.put(
        "java_zbigarray_f8_3d_F",
        new DataRecord(
            ClassMeta.of("wendelin.bigarray.array_zodb.ZBigArray"), Tuple.of(arr, slots)));
    return m;
  }

  static PyObject dtype(String code, String order) {
    return new PyObject(
        new Global("numpy", "dtype"),
        Tuple.of(code, false, true),
        PyObject.Kind.REDUCE,
        Tuple.of(3L, order, null, null, null, -1L, -1L, 0L));
  }

  static Reference ref(long oid, String cls) {
    return Reference.OidClass.of(new Oid(oid), cls);
  }

  static void write(Path dir, String name, DataRecord r) throws IOException {
    Files.write(dir.resolve(name + ".bin"), r.encode());
    ObjectNode json = Tagged.JSON.createObjectNode();
    json.put("class", r.classMeta().className());
    json.set("state", Tagged.of(r.state()));
    Tagged.JSON.writeValue(dir.resolve(name + ".json").toFile(), json);
  }

  static void requirePython() throws Exception {
    boolean ok = false;
    if (Files.isExecutable(PYTHON)) {
      Process p =
          new ProcessBuilder(
                  PYTHON.toString(), "-c", "import zodbpickle, persistent, BTrees, numpy")
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
    String msg =
        "/usr/bin/python3 with python3-zodbpickle, python3-persistent, python3-btrees and"
            + " python3-numpy is needed (apt-get install them; .ci/run does)";
    if (System.getenv("CI") != null) {
      assertThat(ok).as(msg).isTrue();
    }
    assumeTrue(ok, msg);
  }
}
