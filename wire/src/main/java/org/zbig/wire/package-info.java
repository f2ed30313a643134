/**
 * The ZEO 5 protocol as data: frame payloads to and from sealed {@link org.zbig.wire.Message}
 * records, with no I/O and no storage logic.
 *
 * <h2>What it connects</h2>
 *
 * The store-server and the client both speak ZEO 5/6 to Python peers; this module is the shared
 * codec between bytes and typed messages. Spec: {@code docs/protocol.md} (sections 1 to 4); ground
 * truth: the recorded exchanges of a real Python ZEO 6 client and server, copied into the test
 * resources, which every frame of decodes, maps to a record and re-encodes (server frames byte for
 * byte).
 *
 * <h2>Layers</h2>
 *
 * <ol>
 *   <li>{@link org.zbig.wire.Handshake}: the {@code Z5}/{@code M5} offer and answer, and the {@code
 *       ruok} probe (docs/protocol.md §1.3, 1.5).
 *   <li>Encodings: {@code Z5} pickles (protocol 3, fast mode, through {@code org.zbig.zodb.pickle};
 *       globals only from the modules ZEO allows, kept opaque) and {@code M5} msgpack (through
 *       msgpack-core; bin for bytes, str for text, arrays decode as tuples) turn a payload into the
 *       plain 4-tuple {@code (msgid, flag, name, args)} of wire values (docs/protocol.md §2.2,
 *       2.3).
 *   <li>{@link org.zbig.wire.Messages}: the 4-tuple to and from records, one per method: {@link
 *       org.zbig.wire.SyncRequest}s (with a typed result each, whose reply value is shaped as the
 *       Python server shapes it), {@link org.zbig.wire.OneWayRequest}s, {@link
 *       org.zbig.wire.ServerCall}s, {@link org.zbig.wire.Reply}, {@link org.zbig.wire.ErrorReply}
 *       (our exceptions to and from {@code (class_name, payload)}, docs/protocol.md §2.5) and
 *       {@link org.zbig.wire.Heartbeat}. Message ids are kept as decoded and echoed unchanged. Two
 *       methods are ours, not ZEO's: {@link org.zbig.wire.LoadBeforeMany} and {@link
 *       org.zbig.wire.LoadBeforeTree}, which our server announces in {@code get_info} and only our
 *       client sends.
 *   <li>{@link org.zbig.wire.MessageCodec}: the two above for one encoding and one end.
 *   <li>{@code org.zbig.wire.netty}: the Netty handlers both pipelines use.
 * </ol>
 *
 * <h2>Errors</h2>
 *
 * Everything malformed is a {@link org.zbig.zodb.error.ProtocolException} naming the value and the
 * expectation: truncated or oversized frames, garbage pickles or msgpack, forbidden globals,
 * unknown methods, wrong call modes, arity or argument types. Lengths are checked before anything
 * is allocated and nesting is bounded.
 *
 * <h2>Copies</h2>
 *
 * A received payload is copied once, into an array of its exact size; decoded byte strings are
 * views of it. Encoded byte strings of 8 KiB and more are referenced by the output, not copied (the
 * Netty encoder copies a big message once into direct memory unless its bulk is there already: see
 * {@link org.zbig.wire.netty.MessageEncoder}).
 *
 * <h2>Concurrency</h2>
 *
 * Records and codecs are immutable and thread-safe; each Netty handler belongs to one channel and
 * runs on its event loop.
 */
package org.zbig.wire;
