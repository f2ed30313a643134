// exports org.zbig.it once it holds API types (javac refuses to export an empty package)
/** See {@link org.zbig.it}. */
module org.zbig.it {
  requires static java.sql; // the tests create PostgreSQL schemas over JDBC
}
