package org.zbig.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh schema in the test PostgreSQL server ({@code .ci/postgres.sh}), dropped on close. The
 * server's URL is {@code ZBIG_TEST_JDBC_URL} (or the system property {@code zbig.test.jdbcUrl}),
 * else the script's default. When no server answers, the test is skipped with the reason if no URL
 * was given, and fails if one was: {@code .ci/run} gives one.
 */
final class PostgresSchema implements AutoCloseable {
  static final String DEFAULT_URL =
      "jdbc:postgresql://127.0.0.1:54329/zbig_test?user=zbig&password=zbig";

  private final String baseUrl;
  private final String name;

  private PostgresSchema(String baseUrl, String name) {
    this.baseUrl = baseUrl;
    this.name = name;
  }

  private static String given() {
    String url = System.getProperty("zbig.test.jdbcUrl");
    if (url == null || url.isBlank()) {
      url = System.getenv("ZBIG_TEST_JDBC_URL");
    }
    return url == null || url.isBlank() ? null : url;
  }

  /** Creates schema {@code it_<pid>_<suffix>}. */
  static PostgresSchema create(String suffix) {
    String url = given() != null ? given() : DEFAULT_URL;
    String name = "it_" + ProcessHandle.current().pid() + "_" + suffix;
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      st.execute("drop schema if exists " + name + " cascade");
      st.execute("create schema " + name);
    } catch (SQLException e) {
      String why =
          "no PostgreSQL server at "
              + url
              + " ("
              + e.getMessage()
              + "); run .ci/postgres.sh or set ZBIG_TEST_JDBC_URL";
      if (given() != null) {
        throw new IllegalStateException(why, e);
      }
      Assumptions.abort(why);
    }
    return new PostgresSchema(url, name);
  }

  /** The JDBC URL of this schema, for {@code --jdbc-url}. */
  String url() {
    return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + name;
  }

  @Override
  public void close() {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement st = c.createStatement()) {
      st.execute("drop schema if exists " + name + " cascade");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop test schema " + name + ": " + e, e);
    }
  }
}
