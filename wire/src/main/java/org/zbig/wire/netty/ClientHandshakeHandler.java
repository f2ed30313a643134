package org.zbig.wire.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.zbig.wire.Encoding;
import org.zbig.wire.Handshake;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.Role;
import org.zbig.zodb.error.ProtocolException;

/**
 * The client's side of the handshake (docs/protocol.md §1.3, 4.5): reads the server's offer,
 * answers with the same letter and version 5, then replaces itself with a {@link MessageDecoder}
 * and a {@link MessageEncoder} and fires {@link HandshakeEvent.Completed}; the client may send
 * {@code register} right away. An offer this client cannot speak fires a {@link ProtocolException}.
 */
public final class ClientHandshakeHandler extends ChannelInboundHandlerAdapter {
  /** A handler for a new connection. */
  public ClientHandshakeHandler() {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    byte[] offer;
    try {
      offer = ByteBufUtil.getBytes(frame);
    } finally {
      frame.release();
    }
    Encoding encoding;
    try {
      encoding = Handshake.clientChooses(offer);
    } catch (ProtocolException e) {
      ctx.fireExceptionCaught(e);
      return;
    }
    ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.answer(encoding)));
    MessageCodec codec = new MessageCodec(encoding, Role.CLIENT);
    ctx.pipeline().addAfter(ctx.name(), null, new MessageEncoder(codec));
    ctx.pipeline().replace(this, null, new MessageDecoder(codec));
    ctx.fireUserEventTriggered(new HandshakeEvent.Completed(encoding));
  }
}
