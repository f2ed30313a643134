package org.zbig.bigarray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ClientOptions;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.zblk.ZBlkFormat;

/** .npy files written by real numpy go into ZBigArrays, and numpy reads what we export. */
class NpyTest {
  @TempDir Path dir;

  @BeforeEach
  void python() throws Exception {
    boolean python =
        Files.isExecutable(Path.of("/usr/bin/python3"))
            && new ProcessBuilder("/usr/bin/python3", "-c", "import numpy").start().waitFor() == 0;
    if (System.getenv("CI") == null) {
      assumeTrue(python, "/usr/bin/python3 with numpy is not installed");
    }
  }

  private static String py(String code) throws Exception {
    Process p =
        new ProcessBuilder("/usr/bin/python3", "-c", code).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out.strip();
  }

  @Test
  void numpyFilesOfEveryVersionImportAppendAndExport() throws Exception {
    Path v1 = dir.resolve("v1.npy");
    Path v2 = dir.resolve("v2.npy");
    Path v3 = dir.resolve("v3.npy");
    Path more = dir.resolve("more.npy");
    Path f3d = dir.resolve("f3d.npy");
    py(
        "import numpy as np\n"
            + "from numpy.lib import format as f\n"
            + "a = np.arange(300000, dtype='<f8').reshape(1000, 300) * 0.5\n"
            + "np.save('"
            + v1
            + "', a)\n"
            + "b = np.arange(5000, dtype='>i2')\n"
            + "f.write_array(open('"
            + v2
            + "', 'wb'), b, version=(2, 0))\n"
            + "c = np.zeros(7, dtype=[('a', '<i4'), ('b', '<f8')]); c['a'] = range(7); c['b'] = 1.5\n"
            + "f.write_array(open('"
            + v3
            + "', 'wb'), c, version=(3, 0))\n"
            + "np.save('"
            + more
            + "', np.ones((10, 300)) * -1)\n"
            + "np.save('"
            + f3d
            + "', np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)))\n");
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory());
        Database db =
            Database.open(
                server.address(),
                ClientOptions.defaults()
                    .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60)),
                32 << 20);
        Connection c = db.open();
        VirtMem vm = new VirtMem(64 << 10, 64L << 20, 0)) {
      ZBigArray.register(db.registry());
      List<Long> progress = new ArrayList<>();
      ZBigArray za =
          ArrayFiles.importNpy(c, "a", v1, ZBlkFormat.ZBLK0, vm, 64 << 10, progress::add);
      assertThat(za.shape()).containsExactly(1000, 300);
      assertThat(progress.getLast()).isEqualTo(300000L * 8);
      BigArray a = za.open(vm);
      try (BigArray.View v = a.view("999,::-100")) {
        assertThat(v.array().toDoubleArray()).containsExactly(149999.5, 149949.5, 149899.5);
      }
      // append rows, then export a view and the whole array for numpy to check
      ArrayFiles.appendNpy(c, za, a, more, x -> {});
      assertThat(za.shape()).containsExactly(1010, 300);
      try (BigArray.View v = a.view("1009,0")) {
        assertThat(v.array().getDouble()).isEqualTo(-1.0);
      }
      Path all = dir.resolve("all.npy");
      Path part = dir.resolve("part.npy");
      ArrayFiles.exportNpy(a, null, all, x -> {});
      ArrayFiles.exportNpy(a, "10:20,::-1", part, x -> {});
      // a view bigger than the RAM budget (8 blocks of 64 KiB here, the view spans 37) streams
      Path wide = dir.resolve("wide.npy");
      try (Connection c2 = db.open();
          VirtMem small = new VirtMem(64 << 10, 8L * (64 << 10), 0)) {
        BigArray sa = c2.root().get("a", ZBigArray.class).open(small);
        assertThatThrownBy(() -> sa.view("::2,::-3").close())
            .isInstanceOf(org.zbig.client.virtmem.VirtMemException.class)
            .hasMessageContaining("budget");
        ArrayFiles.exportNpy(sa, "::2,::-3", wide, x -> {});
      }
      assertThat(
              py(
                  "import numpy as np\n"
                      + "a = np.load('"
                      + all
                      + "'); p = np.load('"
                      + part
                      + "'); w = np.load('"
                      + wide
                      + "')\n"
                      + "e = np.concatenate([np.arange(300000, dtype='<f8').reshape(1000, 300) * 0.5,"
                      + " np.ones((10, 300)) * -1])\n"
                      + "print(a.shape, a.dtype, (a == e).all(), p.shape, (p == e[10:20, ::-1]).all(),"
                      + " w.shape, (w == e[::2, ::-3]).all())"))
          .isEqualTo("(1010, 300) float64 True (10, 300) True (505, 100) True");
      // a mismatching append is refused and changes nothing
      assertThatThrownBy(() -> ArrayFiles.appendNpy(c, za, a, v2, x -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected: <f8 C");
      assertThat(za.shape()).containsExactly(1010, 300);
      // big-endian int16 in a version 2 file, a structure in a version 3 file, F order
      ZBigArray be = ArrayFiles.importNpy(c, "be", v2, ZBlkFormat.ZBLK1, vm, 64 << 10, x -> {});
      try (BigArray.View v = be.open(vm).view("-1")) {
        assertThat(v.array().getLong()).isEqualTo(4999);
      }
      ZBigArray st = ArrayFiles.importNpy(c, "st", v3, ZBlkFormat.AUTO, vm, 64 << 10, x -> {});
      assertThat(st.dtype().toString()).isEqualTo("[('a', '<i4'), ('b', '<f8')]");
      ZBigArray f = ArrayFiles.importNpy(c, "f", f3d, ZBlkFormat.ZBLK0, vm, 64 << 10, x -> {});
      assertThat(f.order()).isEqualTo('F');
      try (BigArray.View v = f.open(vm).view("1,2,3")) {
        assertThat(v.array().getLong()).isEqualTo(23);
      }
      Path fout = dir.resolve("fout.npy");
      ArrayFiles.exportNpy(f.open(vm), null, fout, x -> {});
      assertThat(
              py(
                  "import numpy as np\n"
                      + "a = np.load('"
                      + fout
                      + "')\n"
                      + "print(a.flags['F_CONTIGUOUS'], (a == np.arange(24).reshape(2, 3, 4)).all())"))
          .isEqualTo("True True");
    }
    assertThatThrownBy(() -> Npy.readHeader(dir.resolve("v1.npy").resolveSibling("nothing.txt")))
        .isInstanceOf(java.nio.file.NoSuchFileException.class);
    Path junk = Files.writeString(dir.resolve("junk.npy"), "not numpy");
    assertThatThrownBy(() -> Npy.readHeader(junk))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("junk.npy is not a .npy file we read");
  }
}
