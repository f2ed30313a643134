package org.zbig.wire;

/**
 * Which end of a connection decodes: it decides which messages may arrive (docs/protocol.md §2.1).
 */
public enum Role {
  /** The server: it receives requests and heartbeats. */
  SERVER,
  /** The client: it receives replies, error replies and server calls. */
  CLIENT
}
