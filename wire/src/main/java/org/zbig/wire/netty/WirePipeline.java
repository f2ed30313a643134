package org.zbig.wire.netty;

import io.netty.channel.ChannelPipeline;
import org.zbig.wire.Encoding;

/**
 * Installs the wire handlers at the front of a pipeline: framing in both directions and the
 * handshake, which later puts the message codecs in its place. The application's handler goes after
 * them and receives {@link org.zbig.wire.Message}s, {@link HandshakeEvent}s and {@link
 * org.zbig.zodb.error.ProtocolException}s.
 */
public final class WirePipeline {
  private WirePipeline() {}

  /** The server side, offering {@code offer} and accepting frames up to {@code maxFrame} bytes. */
  public static void server(ChannelPipeline p, Encoding offer, int maxFrame) {
    p.addLast("frame-decoder", new FrameDecoder(maxFrame));
    p.addLast("frame-encoder", new FrameEncoder());
    p.addLast("handshake", new ServerHandshakeHandler(offer));
  }

  /** The client side, accepting frames up to {@code maxFrame} bytes. */
  public static void client(ChannelPipeline p, int maxFrame) {
    // the server's lengths are trusted: big replies are copied as they arrive
    p.addLast("frame-decoder", new FrameDecoder(maxFrame, true));
    p.addLast("frame-encoder", new FrameEncoder());
    p.addLast("handshake", new ClientHandshakeHandler());
  }
}
