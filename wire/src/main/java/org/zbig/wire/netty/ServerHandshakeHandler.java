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
 * The server's side of the handshake (docs/protocol.md §1.3): sends the offer when the channel
 * becomes active, reads the client's first frame, then replaces itself with a {@link
 * MessageDecoder} and a {@link MessageEncoder} for the encoding the client chose and fires {@link
 * HandshakeEvent.Completed}. The {@code ruok} probe fires {@link HandshakeEvent.Ruok} instead; a
 * refused answer fires a {@link ProtocolException} (the connection handler closes without sending
 * anything, as the Python server does).
 */
public final class ServerHandshakeHandler extends ChannelInboundHandlerAdapter {
  private final Encoding offer;

  /** A handler that offers {@code offer}. */
  public ServerHandshakeHandler(Encoding offer) {
    this.offer = offer;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.offer(offer)));
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    byte[] bytes;
    try {
      bytes = ByteBufUtil.getBytes(frame);
    } finally {
      frame.release();
    }
    switch (Handshake.serverReads(bytes)) {
      case Handshake.Accepted a -> {
        MessageCodec codec = new MessageCodec(a.encoding(), Role.SERVER);
        ctx.pipeline().addAfter(ctx.name(), null, new MessageEncoder(codec));
        ctx.pipeline().replace(this, null, new MessageDecoder(codec));
        ctx.fireUserEventTriggered(new HandshakeEvent.Completed(a.encoding()));
      }
      case Handshake.Ruok r -> ctx.fireUserEventTriggered(new HandshakeEvent.Ruok());
      case Handshake.Refused r -> ctx.fireExceptionCaught(new ProtocolException(r.reason()));
    }
  }
}
