/** See {@link org.zbig.wire}. */
@SuppressWarnings("requires-automatic")
module org.zbig.wire {
  requires transitive org.zbig.zodb;
  requires transitive io.netty.buffer;
  requires transitive io.netty.codec;
  requires transitive io.netty.transport;
  requires io.netty.handler;
  requires msgpack.core;

  exports org.zbig.wire;
  exports org.zbig.wire.netty;
}
