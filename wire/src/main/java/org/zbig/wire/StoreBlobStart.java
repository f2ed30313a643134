package org.zbig.wire;

import org.zbig.zodb.pickle.Tuple;

/** {@code storeBlobStart()}: begins a blob upload (docs/protocol.md §3.3.7). */
public record StoreBlobStart() implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "storeBlobStart";

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.EMPTY;
  }

  static StoreBlobStart decode(Args a) {
    a.arity(0, 0);
    return new StoreBlobStart();
  }
}
