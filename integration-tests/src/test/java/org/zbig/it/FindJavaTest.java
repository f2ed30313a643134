package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/find-java.sh}, which every launcher sources, picks the first JDK 25 or newer in its
 * order ({@code $JAVA_HOME}, the first {@code java} on the PATH through its links, then the JDKs
 * under {@code $ZBIG_JDKS}) from their {@code release} files, and runs a JDK's {@code java} only
 * when it has none. The JDKs here are fake: a {@code release} file and a {@code bin/java} script
 * that leaves a mark when it is run.
 */
class FindJavaTest {
  @TempDir Path dir;

  /** A fake JDK at {@code dir/name}: {@code version} in its release file, or none if null. */
  private Path jdk(String name, String version, String answers) throws IOException {
    Path home = dir.resolve(name);
    Files.createDirectories(home.resolve("bin"));
    if (version != null) {
      Files.writeString(
          home.resolve("release"),
          "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\nOS_NAME=\"Linux\"\n");
    }
    Path java = home.resolve("bin/java");
    Files.writeString(
        java,
        "#!/bin/sh\necho run >> '"
            + dir.resolve("ran-" + name.replace('/', '-'))
            + "'\necho '    java.specification.version = "
            + answers
            + "' >&2\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }

  private record Found(int status, String javaHome, String output) {}

  /** Sources the script in a shell with exactly {@code env} (and a PATH for the shell's tools). */
  private Found find(Map<String, String> env) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            "bash", "-c", ". bin/find-java.sh && echo \"JAVA_HOME=$JAVA_HOME\"; echo \"rc=$?\"");
    pb.directory(Procs.root().toFile()).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("ZBIG_JDKS", dir.resolve("none").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String home =
        out.lines()
            .filter(l -> l.startsWith("JAVA_HOME="))
            .map(l -> l.substring("JAVA_HOME=".length()))
            .findFirst()
            .orElse(null);
    int rc =
        out.lines()
            .filter(l -> l.startsWith("rc="))
            .map(l -> Integer.parseInt(l.substring(3)))
            .findFirst()
            .orElse(-1);
    return new Found(rc, home, out);
  }

  private boolean ran(String name) {
    return Files.exists(dir.resolve("ran-" + name.replace('/', '-')));
  }

  @Test
  void javaHomeComesFirstWhenItIs25OrNewer() throws Exception {
    Path a = jdk("a", "25.0.1", "25");
    jdk("b", "26", "26");
    Found f =
        find(Map.of("JAVA_HOME", a.toString(), "PATH", dir.resolve("b/bin") + ":/usr/bin:/bin"));
    assertThat(f.javaHome()).as(f.output()).isEqualTo(a.toString());
    assertThat(ran("a")).as("read from its release file, not run").isFalse();
  }

  @Test
  void anOlderJavaHomeIsPassedOverForTheJavaOnThePathFoundThroughItsLinks() throws Exception {
    Path old = jdk("old", "17.0.12", "17");
    Path next = jdk("next", "26-ea", "26");
    Path links = Files.createDirectories(dir.resolve("links"));
    Path alt = Files.createSymbolicLink(dir.resolve("alternative"), next.resolve("bin/java"));
    Files.createSymbolicLink(links.resolve("java"), alt); // two links, as /usr/bin/java has
    Found f = find(Map.of("JAVA_HOME", old.toString(), "PATH", links + ":/usr/bin:/bin"));
    assertThat(f.javaHome()).as(f.output()).isEqualTo(next.toString());
    assertThat(ran("old")).isFalse();
    assertThat(ran("next")).isFalse();
  }

  @Test
  void theJdksFolderIsSearchedLastAndAJdkWithoutAReleaseFileIsAsked() throws Exception {
    Path jdks = Files.createDirectories(dir.resolve("jvm"));
    Path older = jdk("jvm/java-17-openjdk-amd64", "17", "17");
    Path unnamed = jdk("jvm/some-25-jdk", null, "25"); // no release file: run to ask
    Found f =
        find(
            Map.of(
                "JAVA_HOME", older.toString(),
                "ZBIG_JDKS", jdks.toString(),
                "PATH", "/usr/bin:/bin"));
    assertThat(f.javaHome()).as(f.output()).isEqualTo(unnamed.toString());
    assertThat(ran("jvm/some-25-jdk")).as("asked, having no release file").isTrue();
    assertThat(ran("jvm/java-17-openjdk-amd64")).isFalse();
  }

  @Test
  void withoutAJdk25TheScriptFailsAndSaysWhereItLooked() throws Exception {
    Path old = jdk("old", "21.0.4", "21");
    Found f =
        find(Map.of("JAVA_HOME", old.toString(), "PATH", old.resolve("bin") + ":/usr/bin:/bin"));
    assertThat(f.status()).as(f.output()).isEqualTo(1);
    assertThat(f.javaHome()).isNull();
    assertThat(f.output())
        .contains("needs a JDK 25 or newer")
        .contains(dir.resolve("none").toString())
        .contains("set JAVA_HOME");
    assertThat(ran("old")).isFalse();
  }
}
