/** See {@link org.zbig.server}. */
@SuppressWarnings("requires-automatic")
module org.zbig.server {
  requires transitive org.zbig.zodb;
  requires transitive org.zbig.wire;
  requires io.netty.transport;
  requires io.netty.common;
  requires io.netty.buffer;
  requires io.netty.handler;
  requires rocksdbjni;
  requires java.sql;
  requires org.postgresql.jdbc;
  requires com.zaxxer.hikari;
  requires com.github.benmanes.caffeine;
  requires info.picocli;
  requires org.zbig.clicommon;
  requires org.slf4j;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires micrometer.core;
  requires micrometer.registry.prometheus;
  requires transitive jdk.httpserver;

  exports org.zbig.server;

  uses org.zbig.server.http.StatusPage;

  exports org.zbig.server.storage;
  exports org.zbig.server.http;

  opens org.zbig.server to
      info.picocli;
  opens org.zbig.server.cli to
      info.picocli;
}
