package org.zbig.wire.netty;

import org.zbig.wire.Encoding;

/** User events the handshake handlers fire down the pipeline. */
public sealed interface HandshakeEvent {
  /**
   * The handshake succeeded; {@link MessageDecoder} and {@link MessageEncoder} are in place.
   *
   * @param encoding the encoding of the connection
   */
  record Completed(Encoding encoding) implements HandshakeEvent {}

  /** A client sent the {@code ruok} status probe: answer one raw frame of JSON and close. */
  record Ruok() implements HandshakeEvent {}
}
