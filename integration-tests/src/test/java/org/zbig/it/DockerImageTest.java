package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.PersistentMapping;
import org.zbig.it.clients.Clients;

/**
 * The server image built from {@code docker/Dockerfile} (over the local base image), started with
 * Testcontainers on the host's network, and used by clients on 127.0.0.1.
 */
class DockerImageTest {
  @TempDir Path dir;

  @SuppressWarnings("deprecation") // withDockerfilePath: the Dockerfile is not at the context root
  private static ImageFromDockerfile image() {
    Path root = Procs.root();
    return new ImageFromDockerfile("zbig-it-server", false)
        .withFileFromPath("docker/Dockerfile", root.resolve("docker/Dockerfile"))
        .withDockerfilePath("docker/Dockerfile")
        .withFileFromPath("docker/bin", root.resolve("docker/bin"))
        .withFileFromPath(
            "console/target/console-0.1.0-SNAPSHOT.jar",
            root.resolve("console/target/console-0.1.0-SNAPSHOT.jar"))
        .withFileFromPath("console/target/lib", root.resolve("console/target/lib"))
        .withFileFromPath("console/target/native", root.resolve("console/target/native"))
        .withFileFromPath(
            "cli/target/cli-0.1.0-SNAPSHOT.jar", root.resolve("cli/target/cli-0.1.0-SNAPSHOT.jar"))
        .withFileFromPath("cli/target/lib", root.resolve("cli/target/lib"))
        .withBuildArg("BASE_IMAGE", Docker.BASE_IMAGE);
  }

  private static GenericContainer<?> server(ImageFromDockerfile image, int port, Path data) {
    return new GenericContainer<>(image)
        .withNetworkMode("host")
        .withEnv("ZBIG_LISTEN", "127.0.0.1:" + port)
        .withEnv("ZBIG_STATUS", "127.0.0.1:" + Procs.freePort())
        .withFileSystemBind(data.toString(), "/data", BindMode.READ_WRITE)
        .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(2)));
  }

  @Test
  void theImageServesClientsAsANonRootUserAndKeepsItsDataInTheVolume() throws Exception {
    Docker.assumeReady();
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
    ImageFromDockerfile image = image();
    int port = Procs.freePort();
    try (GenericContainer<?> c = server(image, port, data)) {
      c.start();
      assertThat(c.getLogs()).contains("zbig-server ready on 127.0.0.1:" + port);
      assertThat(c.execInContainer("id", "-u").getStdout().trim()).isEqualTo("10001");
      // RocksDB's JNI library comes from the image, not copied into /tmp
      var maps = c.execInContainer("cat", "/proc/1/maps");
      assertThat(maps.getStdout())
          .as(maps.getStderr())
          .contains("/opt/zbig/server/native/librocksdbjni-linux64.so")
          .doesNotContain("/tmp/librocksdbjni");
      try (Database db = Clients.open("127.0.0.1:" + port, "it")) {
        db.runVoid(conn -> {
          PersistentMapping m = new PersistentMapping();
          m.put("greeting", "stored in a container");
          conn.root().put("doc", m);
        });
      }
      // the command-line client inside the image reaches the server too
      var ls = c.execInContainer("zbig", "--server", "127.0.0.1:" + port, "ls");
      assertThat(ls.getStdout()).as(ls.getStderr()).contains("doc\tPersistentMapping");
    }
    // a new container on the same volume serves what the first stored
    int port2 = Procs.freePort();
    try (GenericContainer<?> c = server(image, port2, data)) {
      c.start();
      try (Database again = Clients.open("127.0.0.1:" + port2, "it")) {
        Connection conn = again.open();
        assertThat(conn.root().get("doc", PersistentMapping.class).get("greeting"))
            .isEqualTo("stored in a container");
        conn.close();
      }
    }
  }
}
