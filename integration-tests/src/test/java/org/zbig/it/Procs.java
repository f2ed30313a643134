package org.zbig.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Real processes for the tests: the server through {@code bin/zbig-server}, clients as JVMs. */
final class Procs {
  private Procs() {}

  /** The repository root: where {@code bin/zbig-server} is. */
  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/zbig-server"))) {
        return p;
      }
    }
    throw new IllegalStateException("bin/zbig-server not found above " + here);
  }

  /** A free loopback port (for a server that must come back on the same one). */
  static int freePort() {
    for (; ; ) {
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        // never the same port twice in one run: once a probe is closed the kernel may hand its
        // port out again at once, and two servers asked for in a row got the same one
        if (handedOut.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

  /** A process whose output lines are collected as they come. */
  static final class Proc implements AutoCloseable {
    final Process process;
    final String name;
    final List<String> lines = new CopyOnWriteArrayList<>();
    // the lines not yet waited for; empty once the output has ended
    private final BlockingQueue<Optional<String>> fresh = new LinkedBlockingQueue<>();

    Proc(String name, List<String> command) {
      this.name = name;
      try {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + command, e);
      }
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    fresh.add(Optional.of(line));
                  }
                } catch (IOException ended) {
                  // the process is gone
                } finally {
                  fresh.add(Optional.empty()); // a wait for a line that can no longer come ends
                }
              },
              "out-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    /** The next output line containing {@code marker}, waiting up to {@code timeout}. */
    String await(String marker, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (; ; ) {
        long left = deadline - System.nanoTime();
        Optional<String> next = left > 0 ? fresh.poll(left, TimeUnit.NANOSECONDS) : null;
        boolean ended = next != null && next.isEmpty();
        if (ended) {
          fresh.add(next); // for the next wait
          process.waitFor(5, TimeUnit.SECONDS);
        }
        if (next == null || ended) {
          throw new AssertionError(
              name
                  + ": no line with '"
                  + marker
                  + "'"
                  + (ended ? " before its output ended" : " within " + timeout)
                  + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")")
                  + "; output:\n"
                  + String.join("\n", lines));
        }
        String line = next.get();
        if (line.contains(marker)) {
          return line;
        }
      }
    }

    /** Writes a line to the process's input. */
    void send(String line) {
      try {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Waits for the exit and returns the status. */
    int waitFor(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            name + ": still running after " + timeout + "; output:\n" + String.join("\n", lines));
      }
      return process.exitValue();
    }

    /** {@code kill -9} of the process and every process it started. */
    void kill9() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM. */
    void term() {
      process.destroy();
    }

    String output() {
      return String.join("\n", lines);
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
          process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** {@code bin/zbig-server serve} on 127.0.0.1:{@code port} with data in {@code data}. */
  static Proc server(int port, Path data, String... more) throws InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(root().resolve("bin/zbig-server").toString());
    cmd.add("serve");
    cmd.add("--listen");
    cmd.add("127.0.0.1:" + port);
    cmd.add("--data");
    cmd.add(data.toString());
    cmd.addAll(List.of(more));
    Proc p = new Proc("server:" + port, cmd);
    p.await("zbig-server ready on", Duration.ofMinutes(5));
    return p;
  }

  /** {@code bin/zbig --server 127.0.0.1:port ARGS...}. */
  static Proc zbig(int port, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(root().resolve("bin/zbig").toString());
    cmd.add("--server");
    cmd.add("127.0.0.1:" + port);
    cmd.addAll(List.of(args));
    return new Proc("zbig " + String.join(" ", args), cmd);
  }

  /** A client program of this module's test code in a JVM of its own. */
  static Proc java(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("--sun-misc-unsafe-memory-access=allow");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new Proc(main.getSimpleName() + " " + String.join(" ", args), cmd);
  }

  static InetSocketAddress local(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }
}
