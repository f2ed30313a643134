package org.zbig.wire;

/**
 * One decoded ZEO message, the 4-tuple {@code (msgid, flag, name, args)} after the handshake
 * (docs/protocol.md §2.1), as a record a server or client dispatches with one exhaustive {@code
 * switch}.
 */
public sealed interface Message permits Request, ServerCall, Reply, ErrorReply, Heartbeat {}
