package org.zbig.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Database;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.Pack;
import org.zbig.zodb.Tid;

/** {@code bin/zbig ls} and {@code bin/zbig array ...} against a real server, with real numpy. */
class ArrayCommandsTest {
  @TempDir Path dir;

  private static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int status = Main.run(args);
      return new String[] {
        String.valueOf(status),
        o.toString(StandardCharsets.UTF_8),
        e.toString(StandardCharsets.UTF_8)
      };
    } finally {
      System.setOut(out);
      System.setErr(err);
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
  void createImportAppendExportInfoAndLs() throws Exception {
    boolean python =
        Files.isExecutable(Path.of("/usr/bin/python3"))
            && new ProcessBuilder("/usr/bin/python3", "-c", "import numpy").start().waitFor() == 0;
    if (System.getenv("CI") == null) {
      assumeTrue(python, "/usr/bin/python3 with numpy is not installed");
    }
    Path in = dir.resolve("in.npy");
    Path more = dir.resolve("more.npy");
    Path out = dir.resolve("out.npy");
    py(
        "import numpy as np\n"
            + "np.save('"
            + in
            + "', np.arange(600000, dtype='<f8').reshape(2000, 300))\n"
            + "np.save('"
            + more
            + "', -np.ones((5, 300)))\n");
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory())) {
      String addr = "127.0.0.1:" + server.address().getPort();
      String[] r =
          run(
              "--server",
              addr,
              "array",
              "create",
              "z",
              "--shape",
              "10,20",
              "--dtype",
              "<i4",
              "--order",
              "F");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1]).contains("z\tZBigArray shape=[10, 20] dtype=<i4 order=F");
      r = run("--server", addr, "array", "import", "a", in.toString(), "--zblk-fmt", "ZBlk1");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1]).contains("a\tZBigArray shape=[2000, 300] dtype=<f8 order=C");
      r = run("--server", addr, "array", "append", "a", more.toString());
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1]).contains("shape=[2005, 300]");
      r =
          run(
              "--server",
              addr,
              "array",
              "export",
              "a",
              out.toString(),
              "--index",
              "1995:2005,::-2");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(
              py(
                  "import numpy as np\n"
                      + "e = np.concatenate([np.arange(600000, dtype='<f8').reshape(2000, 300), -np.ones((5, 300))])\n"
                      + "p = np.load('"
                      + out
                      + "')\n"
                      + "print(p.shape, (p == e[1995:2005, ::-2]).all())"))
          .isEqualTo("(10, 150) True");
      r = run("--server", addr, "array", "info", "a");
      assertThat(r[1])
          .contains("shape\t[2005, 300]", "dtype\t<f8", "stridev\t[2400, 8]", "blksize\t2097152");
      // bench: the scan's sum is the array's (arange(600000) minus 1500 ones), latency samples
      r = run("--server", addr, "array", "bench", "a", "--samples", "5", "--view", "1");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1])
          .contains("(sum " + (599999.0 * 600000 / 2 - 1500) + ")")
          .contains("fault-in\tone block of 2048 KiB, 5 samples: p50 ");
      // each pass loads every block again and sums the same
      r =
          run(
              "--server",
              addr,
              "array",
              "bench",
              "a",
              "--samples",
              "1",
              "--view",
              "1",
              "--passes",
              "2");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      String sum = "(sum " + (599999.0 * 600000 / 2 - 1500) + ")";
      assertThat(r[1].lines().filter(l -> l.startsWith("scan\t")))
          .hasSize(2)
          .satisfiesExactly(
              l -> assertThat(l).startsWith("scan\tpass 1 of 2: ").endsWith(sum),
              l -> assertThat(l).startsWith("scan\tpass 2 of 2: ").endsWith(sum));
      r = run("--server", addr, "array", "bench", "a", "--samples", "0");
      assertThat(r[0]).isEqualTo("2");
      assertThat(r[2]).contains("--samples 0, --passes 1 (expected: all >= 1)");
      r = run("--server", addr, "array", "bench", "a", "--passes", "0");
      assertThat(r[0]).isEqualTo("2");
      assertThat(r[2]).contains("--passes 0 (expected: all >= 1)");
      r = run("--server", addr, "ls");
      assertThat(r[1]).contains("a\tZBigArray shape=[2005, 300]", "z\tZBigArray shape=[10, 20]");
      r = run("--server", addr, "array", "info", "nothing");
      assertThat(r[0]).isEqualTo("1");
      assertThat(r[2]).contains("root['nothing']: absent (expected: a ZBigArray)");
      r = run("--server", addr, "array", "import", "b", in.toString(), "--zblk-fmt", "zblk9");
      assertThat(r[2]).contains("WENDELIN_CORE_ZBLK_FMT: 'zblk9' (expected: ZBlk0, ZBlk1 or auto)");
    }
  }

  @Test
  void logListsEveryCommitAndAtReadsTheArrayAsItWas() throws Exception {
    try (ZeoServer server = ZeoServer.start(ServerConfig.inMemory())) {
      String addr = "127.0.0.1:" + server.address().getPort();
      String[] r =
          run(
              "--server",
              addr,
              "array",
              "grow",
              "g",
              "--cols",
              "3",
              "--rows",
              "2",
              "--every",
              "0",
              "--count",
              "3");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      List<String> tids = new ArrayList<>();
      Matcher m = Pattern.compile("at tid ([0-9a-f]{16})").matcher(r[1]);
      while (m.find()) {
        tids.add(m.group(1));
      }
      assertThat(tids).hasSize(3);

      r = run("--server", addr, "array", "log", "g");
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      String[] lines = r[1].strip().split("\n");
      assertThat(lines).hasSize(4);
      assertThat(lines[0]).contains("\tcreate g\tabsent -> [0, 3]");
      assertThat(lines[1]).startsWith(tids.get(0)).endsWith("\tgrow g\t[0, 3] -> [2, 3]");
      assertThat(lines[2]).startsWith(tids.get(1)).endsWith("\tgrow g\t[2, 3] -> [4, 3]");
      assertThat(lines[3]).startsWith(tids.get(2)).endsWith("\tgrow g\t[4, 3] -> [6, 3]");
      // the log as of the second grow stops there
      r = run("--server", addr, "array", "log", "g", "--at", tids.get(1));
      assertThat(r[1].strip().split("\n")).hasSize(3);

      // show and info as of the first grow: two rows
      r = run("--server", addr, "array", "show", "g", "--at", tids.get(0));
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      assertThat(r[1]).contains("shape [2, 3]").contains("0.0 1.0 2.0\n3.0 4.0 5.0");
      r = run("--server", addr, "array", "info", "g", "--at", tids.get(1));
      assertThat(r[1]).contains("shape\t[4, 3]");
      // export as of the second grow: four rows, read back by our own reader
      Path out = dir.resolve("at.npy");
      r = run("--server", addr, "array", "export", "g", out.toString(), "--at", tids.get(1));
      assertThat(r[0]).as(r[2]).isEqualTo("0");
      // not a terminal: the progress is plain lines, no carriage returns or escape codes
      assertThat(r[2]).contains("export g").doesNotContain("\r").doesNotContain("\u001b");
      assertThat(org.zbig.bigarray.Npy.readHeader(out).shape()).containsExactly(4, 3);
      // a time after the last grow is the array now
      r = run("--server", addr, "array", "info", "g", "--at", "2100-01-01");
      assertThat(r[0]).isNotEqualTo("0");
      assertThat(r[2]).contains("after the newest transaction");

      // bad values: named, with what is expected
      r = run("--server", addr, "array", "show", "g", "--at", "yesterday");
      assertThat(r[0]).isNotEqualTo("0");
      assertThat(r[2]).contains("--at 'yesterday'").contains("16 hex digits");
      // before the last pack: a clear error
      try (Database db = Database.open(server.address())) {
        double at = Tid.ofHex(tids.get(2)).toEpochSeconds();
        db.zeo().invoke(id -> new Pack(id, at, true));
      }
      r = run("--server", addr, "array", "show", "g", "--at", tids.get(0));
      assertThat(r[0]).isNotEqualTo("0");
      assertThat(r[2]).contains("before the last pack");
    }
  }
}
