package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile and the compose files, checked without an engine: they parse, every file they name
 * exists (or is the jar a module of this build produces), and ports and volumes agree.
 */
class DockerFilesTest {
  private static final Path ROOT = Procs.root();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<String> dockerfile() throws Exception {
    // instructions, with continuation lines joined and comments dropped
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : Files.readAllLines(ROOT.resolve("docker/Dockerfile"))) {
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        cur.append(line, 0, line.length() - 1).append(' ');
      } else {
        out.add(cur.append(line).toString().strip());
        cur.setLength(0);
      }
    }
    return out;
  }

  private static String instruction(List<String> df, String name) {
    return df.stream()
        .filter(l -> l.startsWith(name + " "))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in docker/Dockerfile"));
  }

  @Test
  void theDockerfileCopiesWhatTheBuildMakesAndDeclaresPortVolumeUserAndHealthCheck()
      throws Exception {
    List<String> df = dockerfile();
    assertThat(df.getFirst()).startsWith("ARG BASE_IMAGE=");
    assertThat(instruction(df, "FROM")).isEqualTo("FROM ${BASE_IMAGE}");
    assertThat(instruction(df, "USER")).isEqualTo("USER zbig");
    assertThat(instruction(df, "EXPOSE")).isEqualTo("EXPOSE 8100 8101"); // ZEO, status + console
    assertThat(instruction(df, "VOLUME")).isEqualTo("VOLUME /data");
    assertThat(instruction(df, "ENV")).contains("ZBIG_LISTEN=0.0.0.0:8100");
    assertThat(instruction(df, "CMD")).contains("\"--data\", \"/data\"");
    assertThat(instruction(df, "HEALTHCHECK")).contains("zbig-healthcheck");
    String dockerignore = Files.readString(ROOT.resolve(".dockerignore"));
    for (String copy : df.stream().filter(l -> l.startsWith("COPY ")).toList()) {
      String src = copy.split("\\s+")[1];
      assertThat(dockerignore).as(".dockerignore lets %s in", src).contains("!" + src);
      Matcher jar = Pattern.compile("([a-z-]+)/target/([a-z-]+)-(.+)\\.jar").matcher(src);
      if (jar.matches()) {
        // a module's own jar: the module exists and builds that artifact and version
        String pom = Files.readString(ROOT.resolve(jar.group(1)).resolve("pom.xml"));
        assertThat(pom).contains("<artifactId>" + jar.group(2) + "</artifactId>");
        assertThat(Files.readString(ROOT.resolve("pom.xml")))
            .contains("<version>" + jar.group(3) + "</version>");
      } else if (src.matches("[a-z-]+/target/lib/")) {
        String pom =
            Files.readString(ROOT.resolve(src.substring(0, src.indexOf('/'))).resolve("pom.xml"));
        assertThat(pom)
            .as("%s copies its dependencies to target/lib", src)
            .contains("copy-dependencies");
      } else {
        assertThat(ROOT.resolve(src)).exists();
      }
    }
    for (String script : List.of("zbig-server", "zbig", "zbig-healthcheck")) {
      assertThat(Files.isExecutable(ROOT.resolve("docker/bin").resolve(script)))
          .as(script)
          .isTrue();
    }
  }

  @Test
  void theComposeFilesParseNameExistingFilesAndAgreeOnPortsAndVolumes() throws Exception {
    Path docker = ROOT.resolve("docker");
    JsonNode main = YAML.readTree(docker.resolve("docker-compose.yml").toFile());
    JsonNode override = YAML.readTree(docker.resolve("docker-compose.override.yml").toFile());
    JsonNode host = YAML.readTree(docker.resolve("docker-compose.host.yml").toFile());
    JsonNode services = main.get("services");
    assertThat(services.fieldNames())
        .toIterable()
        .contains("server", "appender", "watcher", "python");
    // builds: their contexts and Dockerfiles exist
    for (var e : services.properties()) {
      JsonNode build = e.getValue().get("build");
      if (build != null) {
        Path context = docker.resolve(build.get("context").asText()).normalize();
        assertThat(context).as(e.getKey() + " build context").isDirectory();
        String dockerfile =
            build.has("dockerfile") ? build.get("dockerfile").asText() : "Dockerfile";
        assertThat(context.resolve(dockerfile)).as(e.getKey() + " Dockerfile").isRegularFile();
      } else {
        assertThat(e.getValue().get("image").asText())
            .isEqualTo(services.at("/server/image").asText());
      }
    }
    for (String copied : List.of("python/read_array.py")) {
      assertThat(docker.resolve(copied)).exists();
    }
    assertThat(services.at("/python/profiles").toString()).contains("python");
    // the published port is the one the server listens on and the image exposes
    assertThat(override.at("/services/server/ports/0").asText()).isEqualTo("8100:8100");
    assertThat(services.at("/server/environment/ZBIG_LISTEN").asText()).contains(":-0.0.0.0:8100}");
    assertThat(services.at("/appender/command").toString()).contains("server:8100");
    assertThat(services.at("/watcher/command").toString()).contains("server:8100");
    // the data volume is declared and mounted where the image keeps its data
    assertThat(main.at("/volumes").has("zbig-data")).isTrue();
    assertThat(services.at("/server/volumes/0").asText()).isEqualTo("zbig-data:/data");
    // the host-network override covers every service, and publishes nothing
    for (var e : services.properties()) {
      assertThat(host.at("/services/" + e.getKey() + "/network_mode").asText()).isEqualTo("host");
    }
    assertThat(host.toString()).doesNotContain("ports");
  }
}
