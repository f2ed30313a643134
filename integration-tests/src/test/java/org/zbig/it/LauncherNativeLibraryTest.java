package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/zbig-server} loads RocksDB's JNI library from the folder the build unpacked it into
 * ({@code console/target/native}), not from a copy its loader would write into the temporary folder
 * at every start and leave there when the process is killed.
 */
class LauncherNativeLibraryTest {
  @TempDir Path dir;

  @Test
  void theServerMapsTheUnpackedLibraryAndWritesNoneIntoTmp() throws Exception {
    String name =
        System.getProperty("os.arch").equals("aarch64")
            ? "librocksdbjni-linux-aarch64.so"
            : "librocksdbjni-linux64.so";
    Path lib = Procs.root().resolve("console/target/native").resolve(name);
    assertThat(lib).isRegularFile();
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"))) {
      String maps = Files.readString(Path.of("/proc", Long.toString(server.process.pid()), "maps"));
      String tmpCopy = Path.of(System.getProperty("java.io.tmpdir"), "librocksdbjni").toString();
      assertThat(maps).contains(lib.toRealPath().toString()).doesNotContain(tmpCopy);
    }
  }
}
