/**
 * Netty handlers for the ZEO wire protocol, shared by the server and client pipelines: {@link
 * org.zbig.wire.netty.FrameDecoder} (length-prefixed frames, bounded, one copy per payload byte; on
 * a client, part of a big frame may be steered straight into memory the receiver names, and the
 * rest arrives as a {@link org.zbig.wire.netty.Steered} message), {@link
 * org.zbig.wire.netty.FrameEncoder} for outgoing frames (small ones in one direct buffer with their
 * prefix), the handshake handlers, and {@link org.zbig.wire.netty.MessageDecoder} / {@link
 * org.zbig.wire.netty.MessageEncoder} over {@link org.zbig.wire.MessageCodec} (small messages
 * written into one batch buffer until the flush, so pipelined replies cost one buffer and one write
 * between flushes; a big one as a composite over its pieces when its bulk lies in native memory,
 * else copied into pooled direct buffers, the one copy a socket write of heap bytes makes anyway),
 * {@link org.zbig.wire.netty.ClientTls} and {@link org.zbig.wire.netty.PemKeys} for TLS from PEM
 * files. No transport and no business logic: errors are fired down the pipeline as {@link
 * org.zbig.zodb.error.ProtocolException}s for the connection handler to act on.
 *
 * <p>Concurrency: each handler instance belongs to one channel and runs on its event loop.
 */
package org.zbig.wire.netty;
