package org.zbig.server.storage;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.zodb.SuppressForbidden;

/**
 * The thread that tells a server of other servers' commits: it runs an action on each notification
 * of a channel ({@code LISTEN}) and at least every {@link #POLL_MILLIS} ms, so a notification lost
 * (before the {@code LISTEN}, or while the connection was being replaced) delays the action by at
 * most that long. Notifications that only name transactions the server already published (its own
 * commits: each commit notifies every listener) do not run the action before the next poll is due.
 * Holds one pooled connection while it runs.
 */
final class PostgresListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresListener.class);

  /** The longest wait between two runs of the action. */
  static final long POLL_MILLIS = 1000;

  private final HikariDataSource pool;
  private final String channel;
  private final Runnable action;
  private final LongPredicate published;
  private final Consumer<String> wanted;
  private final String name;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * Starts listening on {@code channel} for the storage {@code name}; {@code published} tells
   * whether the tid a notification names (unsigned) is published already; {@code wanted} receives
   * the id a {@link #WANTED} notification names.
   */
  PostgresListener(
      HikariDataSource pool,
      String channel,
      Runnable action,
      LongPredicate published,
      Consumer<String> wanted,
      String name) {
    this.pool = pool;
    this.channel = channel;
    this.action = action;
    this.published = published;
    this.wanted = wanted;
    this.name = name;
    this.thread = new Thread(this::run, "zbig-pg-listen-" + channel);
    thread.setDaemon(true);
    thread.start();
  }

  @SuppressForbidden("waits a second before trying an unreachable database again")
  private void run() {
    while (!closed) {
      Connection c = null;
      try {
        c = pool.getConnection();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
          st.execute("listen \"" + channel.replace("\"", "\"\"") + "\"");
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        long lastRun = 0;
        boolean due = true; // the first round is a poll: covers notifications lost before LISTEN
        while (!closed) {
          if (due || System.nanoTime() - lastRun >= POLL_MILLIS * 1_000_000) {
            runAction();
            lastRun = System.nanoTime();
          }
          PGNotification[] got = pg.getNotifications((int) POLL_MILLIS);
          due = got == null || got.length == 0 || anyNew(got); // a poll, or news
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        LOG.warn("listening to {} failed, retrying in 1 s: {}", channel, e.toString());
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException ie) {
          return;
        }
      } finally {
        if (c != null) {
          pool.evictConnection(c); // a session that still listens must not go back to the pool
        }
      }
    }
  }

  /**
   * The start of the notifications a server sends before it waits for the commit lock, followed by
   * the id of its storage instance (the other payloads are tids).
   */
  static final String WANTED = "wanted ";

  /**
   * Whether a notification names a transaction not published yet (or cannot be read); hands the
   * {@link #WANTED} ones on.
   */
  private boolean anyNew(PGNotification[] got) {
    boolean news = false;
    for (PGNotification n : got) {
      String payload = n.getParameter();
      if (payload.startsWith(WANTED)) {
        try {
          wanted.accept(payload.substring(WANTED.length()));
        } catch (RuntimeException e) {
          LOG.warn("handling {} failed: {}", payload, e.toString());
        }
        continue;
      }
      if (news) {
        continue;
      }
      try {
        news = !published.test(Long.parseUnsignedLong(payload, 16));
      } catch (NumberFormatException e) {
        news = true;
      }
    }
    return news;
  }

  private void runAction() {
    try {
      action.run();
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.warn("catching up with other servers' commits of {} failed: {}", name, e.toString());
      }
    }
  }

  /** Stops the thread, waiting for it a little. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(2 * POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
