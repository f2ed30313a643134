/** See {@link org.zbig.client}. */
@SuppressWarnings("requires-automatic")
module org.zbig.client {
  requires transitive org.zbig.zodb;
  requires transitive org.zbig.wire;
  requires transitive org.zbig.zblk;
  requires io.netty.transport;
  requires io.netty.common;
  requires io.netty.buffer;
  requires io.netty.handler;
  requires org.slf4j;
  requires com.sun.jna;

  exports org.zbig.client;
  exports org.zbig.client.bigfile;
  exports org.zbig.client.btree;
  exports org.zbig.client.virtmem;
  exports org.zbig.client.zeo;
}
