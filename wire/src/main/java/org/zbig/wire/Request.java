package org.zbig.wire;

import org.zbig.zodb.pickle.Tuple;

/** A call a client makes on the server (docs/protocol.md §3). */
public sealed interface Request extends Message permits SyncRequest, OneWayRequest {
  /** The method name on the wire, e.g. {@code loadBefore}. */
  String method();

  /** The positional arguments as the wire values a Python peer sends. */
  Tuple args();
}
