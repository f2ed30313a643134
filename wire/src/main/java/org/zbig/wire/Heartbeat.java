package org.zbig.wire;

/**
 * The client's keep-alive {@code (-1, 0, '.reply', None)}, sent every 60 s; never answered
 * (docs/protocol.md §1.4). Any message with msgid -1 decodes to it, whatever its other fields.
 */
public record Heartbeat() implements Message {}
