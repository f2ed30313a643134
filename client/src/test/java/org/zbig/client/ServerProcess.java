package org.zbig.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code zbig-server serve} in a JVM of its own, on a data folder, for tests across processes. */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("ready on ([^:]+):(\\d+) ");

  private final Process process;
  private final InetSocketAddress address;

  private ServerProcess(Process process, InetSocketAddress address) {
    this.process = process;
    this.address = address;
  }

  /** Starts a server on any free port and waits for its ready line. */
  public static ServerProcess start(Path data) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "org.zbig.server.cli.Main",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data",
                data.toString())
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    for (String line; (line = out.readLine()) != null; ) {
      seen.append(line).append('\n');
      Matcher m = READY.matcher(line);
      if (m.find()) {
        Thread.ofVirtual()
            .start(() -> {
              try {
                out.lines().forEach(l -> {});
              } catch (UncheckedIOException stopped) {
                // the stream closes when the test stops the server
              }
            });
        return new ServerProcess(
            p, new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
      }
    }
    throw new IOException("the server exited before it was ready:\n" + seen);
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return address;
  }

  /** Stops it with SIGKILL. */
  public void kill() {
    process.destroyForcibly();
    waitFor();
  }

  private boolean waitFor() {
    try {
      return process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops it with SIGTERM (SIGKILL if it does not end within 20 s). */
  @Override
  public void close() {
    process.destroy();
    if (!waitFor()) {
      kill();
    }
  }
}
