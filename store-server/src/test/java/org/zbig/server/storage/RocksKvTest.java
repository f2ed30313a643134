package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The iterators a thread keeps between its cursors: each cursor sees what was written before it was
 * opened, nested cursors are independent, and iterators left idle are closed.
 */
class RocksKvTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String valueAt(Kv.Cursor c, String key) {
    c.seek(b(key));
    return c.valid() && new String(c.key(), StandardCharsets.UTF_8).equals(key)
        ? new String(c.value(), StandardCharsets.UTF_8)
        : null;
  }

  @Test
  void aCursorSeesWhatWasWrittenAfterTheThreadsPreviousCursor() {
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("a"), b("1")), false);
      for (boolean checked : new boolean[] {false, true}) {
        try (Kv.Cursor c = kv.cursor(checked)) {
          assertThat(valueAt(c, "a")).isEqualTo("1");
        }
      }
      kv.write(Map.of(b("a"), b("2"), b("b"), b("3")), true);
      for (boolean checked : new boolean[] {false, true}) {
        try (Kv.Cursor c = kv.cursor(checked)) {
          assertThat(valueAt(c, "a")).isEqualTo("2");
          assertThat(valueAt(c, "b")).isEqualTo("3");
        }
      }
      assertThat(kv.keptIterators()).as("one kept per kind of cursor").isEqualTo(2);
    }
  }

  @Test
  void nestedCursorsOfOneThreadAreIndependent() {
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("a"), b("1"), b("b"), b("2")), false);
      try (Kv.Cursor outer = kv.cursor(false)) {
        outer.seek(b("a"));
        try (Kv.Cursor inner = kv.cursor(false)) {
          inner.seek(b("b"));
          assertThat(inner.value()).isEqualTo(b("2"));
        }
        assertThat(outer.key()).isEqualTo(b("a"));
        outer.next();
        assertThat(outer.key()).isEqualTo(b("b"));
      }
      try (Kv.Cursor again = kv.cursor(false)) {
        assertThat(valueAt(again, "b")).isEqualTo("2");
      }
      assertThat(kv.keptIterators()).as("the nested one was not kept").isEqualTo(1);
    }
  }

  @Test
  void idleIteratorsAreClosedAndAThreadThatComesBackGetsANewOne() throws Exception {
    try (RocksKv kv = new RocksKv(dir)) {
      kv.write(Map.of(b("a"), b("1")), false);
      Thread t = Thread.ofPlatform().start(() -> kv.cursor(true).close());
      t.join();
      try (Kv.Cursor c = kv.cursor(false)) {
        assertThat(valueAt(c, "a")).isEqualTo("1");
      }
      assertThat(kv.keptIterators()).isEqualTo(2);
      long deadline = System.nanoTime() + 20 * RocksKv.KEPT_IDLE_NANOS;
      while (kv.keptIterators() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(kv.keptIterators()).as("closed once idle").isZero();
      kv.write(Map.of(b("a"), b("4")), false);
      try (Kv.Cursor c = kv.cursor(false)) {
        assertThat(valueAt(c, "a")).isEqualTo("4");
      }
      assertThat(kv.keptIterators()).isEqualTo(1);
    }
  }
}
