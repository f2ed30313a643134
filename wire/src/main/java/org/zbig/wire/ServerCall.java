package org.zbig.wire;

import org.zbig.zodb.pickle.Tuple;

/** A one-way call the server makes on a client (docs/protocol.md §4.1). */
public sealed interface ServerCall extends Message
    permits InvalidateTransaction, Info, ReceiveBlobStart, ReceiveBlobChunk, ReceiveBlobStop {
  /** The method name on the wire. */
  String method();

  /** The positional arguments as wire values. */
  Tuple args();
}
