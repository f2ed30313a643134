package org.zbig.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Register;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * Stopping the server while one of its I/O threads is stuck in a client's request (a storage read
 * that never returns, injected): {@link ZeoServer#close(Duration)}, which SIGTERM runs, still
 * returns within its grace and {@link ZeoServer#STOP_WAIT}, and leaves the busy storage open rather
 * than closing it under the thread.
 */
class BusyShutdownTest {
  @Test
  void closeReturnsInTimeWithAThreadStuckInARequest() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean closed = new AtomicBoolean();
    Storage real = KvStorage.inMemory();
    Storage stuck =
        (Storage)
            Proxy.newProxyInstance(
                Storage.class.getClassLoader(),
                new Class<?>[] {Storage.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("loadBefore")) {
                    entered.countDown();
                    release.await(); // a read that does not come back
                  }
                  if (method.getName().equals("close")) {
                    closed.set(true);
                  }
                  try {
                    return method.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    ZeoServer server =
        ZeoServer.start(ServerConfig.inMemory(), Limits.defaults(), null, List.of(), stuck);
    try (TestClient c = new TestClient(server.address())) {
      c.call(new Register(c.id(), "1", false));
      c.send(LoadBefore.of(Oid.ROOT, Tid.MAX));
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      long t0 = System.nanoTime();
      Duration grace = Duration.ofSeconds(1);
      Thread closer = Thread.ofPlatform().start(() -> server.close(grace));
      closer.join(grace.plus(ZeoServer.STOP_WAIT).plusSeconds(5).toMillis());
      assertThat(closer.isAlive()).as("close returned").isFalse();
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .isLessThan(grace.plus(ZeoServer.STOP_WAIT).plusSeconds(5));
      assertThat(closed).as("the storage is not closed under the busy thread").isFalse();
    } finally {
      release.countDown();
      real.close();
    }
  }
}
