/**
 * The ZEO 5 protocol as data: bytes on a socket to and from sealed {@code Message} records, with no
 * I/O and no storage logic.
 *
 * <h2>What it connects</h2>
 *
 * The store-server and the client both speak ZEO 5/6 to Python peers; this module is the shared
 * codec between Netty's byte buffers and typed messages. Spec: {@code
 * shared/specs/zeo-protocol.md}; ground truth: the recorded exchanges in {@code testvectors/zeo/}.
 *
 * <h2>API for clients (built by the wire issue)</h2>
 *
 * <ul>
 *   <li>{@code Message}: a sealed interface with one record per server method (register,
 *       loadBefore, storea, vote, tpc_finish, ...), per server-to-client call
 *       (invalidateTransaction, info, ...), replies, error replies and the heartbeat.
 *   <li>{@code FrameDecoder} / {@code FrameEncoder}: 4-byte big-endian length framing with a
 *       maximum frame size checked before any allocation.
 *   <li>{@code Handshake}: the {@code Z5}/{@code M5} protocol offer and answer, and {@code ruok}.
 *   <li>{@code MessageDecoder} / {@code MessageEncoder}: {@code Z5} pickles (protocol 3, fast mode,
 *       through {@code org.zbig.zodb.pickle}) and {@code M5} msgpack.
 *   <li>Error replies: Java exceptions of {@code org.zbig.zodb.error} to and from {@code
 *       (class_name, payload)}.
 * </ul>
 *
 * <h2>Concurrency</h2>
 *
 * Codecs are per channel and run on its event loop; messages are immutable records.
 *
 * <h2>Deliberately not done</h2>
 *
 * No sockets, no storage, no retry logic: those belong to store-server and client.
 */
package org.zbig.wire;
