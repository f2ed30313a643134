/** See {@link org.zbig.server}. */
@SuppressWarnings("requires-automatic")
module org.zbig.server {
  requires transitive org.zbig.zodb;
  requires transitive org.zbig.wire;
  requires io.netty.transport;
  requires io.netty.common;
  requires io.netty.buffer;
  requires rocksdbjni;
  requires info.picocli;
  requires org.slf4j;

  exports org.zbig.server;
  exports org.zbig.server.storage;

  opens org.zbig.server to
      info.picocli;
}
