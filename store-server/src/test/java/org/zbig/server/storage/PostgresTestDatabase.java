package org.zbig.server.storage;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh schema in the test PostgreSQL server ({@code .ci/postgres.sh}), dropped on close. The
 * server's URL comes from the system property {@code zbig.test.jdbcUrl} or the environment variable
 * {@code ZBIG_TEST_JDBC_URL}, else the script's default. When no server answers, the tests are
 * skipped with the reason if no URL was given, and fail if one was ({@code .ci/run} gives one, so
 * CI never passes without the real server).
 */
public final class PostgresTestDatabase implements AutoCloseable {
  /** The URL of {@code .ci/postgres.sh}. */
  public static final String DEFAULT_URL =
      "jdbc:postgresql://127.0.0.1:54329/zbig_test?user=zbig&password=zbig";

  private static final AtomicLong COUNTER = new AtomicLong();

  private final String baseUrl;
  private final String schema;

  private PostgresTestDatabase(String baseUrl, String schema) {
    this.baseUrl = baseUrl;
    this.schema = schema;
  }

  /** The test server's URL, without a schema. */
  public static String baseUrl() {
    String url = System.getProperty("zbig.test.jdbcUrl");
    if (url == null || url.isBlank()) {
      url = System.getenv("ZBIG_TEST_JDBC_URL");
    }
    return url == null || url.isBlank() ? DEFAULT_URL : url;
  }

  /** Whether a URL was given explicitly, rather than the default. */
  private static boolean configured() {
    String p = System.getProperty("zbig.test.jdbcUrl");
    String e = System.getenv("ZBIG_TEST_JDBC_URL");
    return (p != null && !p.isBlank()) || (e != null && !e.isBlank());
  }

  /** Creates a new schema, or skips the test when no server is reachable and none was given. */
  public static PostgresTestDatabase create() {
    String url = baseUrl();
    String schema = "t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      st.execute("drop schema if exists " + schema + " cascade");
      st.execute("create schema " + schema);
    } catch (SQLException e) {
      String why =
          "no PostgreSQL server at "
              + url
              + " ("
              + e.getMessage()
              + "); run .ci/postgres.sh or set ZBIG_TEST_JDBC_URL";
      if (configured()) {
        throw new IllegalStateException(why, e);
      }
      Assumptions.abort(why);
    }
    return new PostgresTestDatabase(url, schema);
  }

  /** The URL of this schema. */
  public String url() {
    return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  /** The schema's name. */
  public String schema() {
    return schema;
  }

  /** Runs one SQL statement in this schema. */
  public void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url());
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  @Override
  public void close() {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement st = c.createStatement()) {
      st.execute("drop schema if exists " + schema + " cascade");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test schema " + schema + ": " + e, e);
    }
  }
}
