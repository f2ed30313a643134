package org.zbig.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/** What the container tests need: an engine, the local base image, the jars. */
final class Docker {
  private Docker() {}

  /** Skips (outside CI) or fails (in CI) unless {@code ok}. */
  static void need(boolean ok, String why) {
    if (System.getenv("CI") != null && !ok) {
      throw new AssertionError(why + " (in CI the container tests must run)");
    }
    Assumptions.assumeTrue(ok, why);
  }

  /** The base image {@code .ci/docker-engine.sh} builds (no registry is reachable in CI). */
  static final String BASE_IMAGE =
      System.getenv().getOrDefault("ZBIG_BASE_IMAGE", "zbig-base:jre25");

  /**
   * Skips the calling test, with the reason, unless containers can run here; in CI (where {@code
   * .ci/run} starts the engine and builds the image) fails instead, so that CI cannot pass by
   * skipping.
   */
  static void assumeReady() throws Exception {
    boolean engine;
    try {
      engine = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      engine = false;
    }
    need(engine, "no Docker engine reachable (start one with .ci/docker-engine.sh)");
    Process inspect =
        new ProcessBuilder("docker", "image", "inspect", BASE_IMAGE)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    need(
        inspect.waitFor(60, TimeUnit.SECONDS) && inspect.exitValue() == 0,
        "base image " + BASE_IMAGE + " missing (.ci/docker-engine.sh builds it)");
    Path root = Procs.root();
    need(
        Files.isRegularFile(root.resolve("console/target/console-0.1.0-SNAPSHOT.jar"))
            && Files.isRegularFile(root.resolve("cli/target/cli-0.1.0-SNAPSHOT.jar")),
        "the jars the image copies are not built (./mvnw package)");
  }
}
