package org.zbig.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.it.clients.Clients;
import org.zbig.it.clients.HoldCommitLock;
import org.zbig.it.clients.ViewHolder;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;

/** A client killed in the middle of a commit, and a server restarted under open array views. */
@SuppressWarnings("try") // servers are held open by try-with-resources
class FailuresTest {
  @TempDir Path dir;

  @Test
  void aClientKilledWhileHoldingTheCommitLockLeavesTheServerConsistentAndTheLockFree()
      throws Exception {
    int port = Procs.freePort();
    try (Procs.Proc server = Procs.server(port, dir.resolve("data"));
        Database db = Clients.open("127.0.0.1:" + port, "other")) {
      db.runVoid(c -> c.root().put("n", 0L));
      Procs.Proc holder = Procs.java(HoldCommitLock.class, "127.0.0.1:" + port);
      String voted = holder.await("voted ", Duration.ofMinutes(1));
      Oid held = new Oid(Long.parseUnsignedLong(voted.substring(6), 16));
      // another commit waits for the lock the voted transaction holds
      CompletableFuture<Void> other =
          CompletableFuture.runAsync(() -> db.runVoid(c -> c.root().put("n", 1L)));
      Thread.sleep(1000);
      assertThat(other).as("a commit while another client holds the lock").isNotDone();
      holder.kill9();
      other.get(30, TimeUnit.SECONDS);
      Connection c = db.open();
      assertThat(c.root().get("n")).isEqualTo(1L);
      assertThatThrownBy(() -> db.loadRecord(held, Tid.MAX))
          .isInstanceOf(NoSuchObjectException.class);
      c.close();
    }
  }

  @Test
  void arrayViewsStayOpenAndCorrectAcrossAServerKillAndRestart() throws Exception {
    int port = Procs.freePort();
    Path data = dir.resolve("data");
    Procs.Proc server = Procs.server(port, data);
    try {
      try (Procs.Proc grow =
          Procs.zbig(
              port, "array", "grow", "a", "--rows", "50000", "--count", "2", "--every", "0")) {
        assertThat(grow.waitFor(Duration.ofMinutes(2))).as(grow.output()).isZero();
      }
      try (Procs.Proc holder = Procs.java(ViewHolder.class, "127.0.0.1:" + port, "a")) {
        holder.await("holding rows 0..100000", Duration.ofMinutes(1));
        holder.send("check");
        String before = holder.await("ok ", Duration.ofMinutes(1));
        assertThat(before).startsWith("ok 100000 ");
        server.kill9();
        server = Procs.server(port, data);
        try (Procs.Proc grow =
            Procs.zbig(port, "array", "grow", "a", "--rows", "50000", "--count", "1")) {
          assertThat(grow.waitFor(Duration.ofMinutes(2))).as(grow.output()).isZero();
        }
        holder.send("check");
        String after = holder.await("ok ", Duration.ofMinutes(1));
        // the array grew, the held rows read back the same
        assertThat(after).isEqualTo("ok 150000 " + before.substring("ok 100000 ".length()));
      }
    } finally {
      server.close();
    }
  }
}
