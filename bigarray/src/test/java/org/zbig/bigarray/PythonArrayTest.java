package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;

/** Real numpy rebuilds the dtypes of the ZBigArrays we write, and agrees with their strides. */
class PythonArrayTest {
  @TempDir Path dir;

  @Test
  void numpyRebuildsOurDtypesAndStrides() throws Exception {
    boolean python =
        Files.isExecutable(Path.of("/usr/bin/python3"))
            && new ProcessBuilder("/usr/bin/python3", "-c", "import numpy, persistent, zodbpickle")
                    .start()
                    .waitFor()
                == 0;
    if (System.getenv("CI") == null) {
      assumeTrue(python, "/usr/bin/python3 with numpy, persistent and zodbpickle is not installed");
    }
    Object[][] arrays = {
      {new long[] {1000}, DType.FLOAT64, 'C'},
      {new long[] {4, 5, 6}, DType.INT32, 'F'},
      {new long[] {3, 7}, DType.COMPLEX128, 'C'},
      {new long[] {100}, DType.scalar(">i2"), 'C'},
      {new long[] {9, 2}, DType.BOOL, 'F'},
      {new long[] {0, 3}, DType.FLOAT32, 'C'},
      {new long[] {2, 3, 4, 5}, DType.UINT8, 'F'},
      {
        new long[] {50},
        DType.struct(List.of(Map.entry("a", DType.INT32), Map.entry("b", DType.FLOAT64))),
        'C'
      },
      {new long[] {8}, DType.FLOAT16, 'C'},
    };
    List<String> files = new ArrayList<>();
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db =
            Database.open(
                server.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)),
                1 << 20);
        Connection c = db.open()) {
      ZBigArray.register(db.registry());
      List<ZBigArray> created = new ArrayList<>();
      for (int i = 0; i < arrays.length; i++) {
        ZBigArray a =
            new ZBigArray(
                (long[]) arrays[i][0], (DType) arrays[i][1], (char) arrays[i][2], 2 << 20);
        c.root().put("a" + i, a);
        created.add(a);
      }
      c.commit();
      for (ZBigArray a : created) {
        Path f = dir.resolve(a.oid().toHex());
        Files.write(f, db.zeo().loadCurrent(a.oid()).orElseThrow().data().toByteArray());
        files.add(f.toString());
      }
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "/usr/bin/python3",
                Path.of("src/test/python/check_zbigarray.py").toAbsolutePath().toString()));
    cmd.addAll(files);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out.lines().filter(l -> l.startsWith("ok ")).count())
        .as(out)
        .isEqualTo(arrays.length);
    assertThat(out)
        .contains("ok <f8 (1000,) C", "ok <i4 (4, 5, 6) F", "ok >i2 (100,) C", "ok |V12 (50,) C");
  }
}
