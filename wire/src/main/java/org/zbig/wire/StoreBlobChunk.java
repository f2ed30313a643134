package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code storeBlobChunk(chunk)}: the next piece of the blob being uploaded (docs/protocol.md
 * §3.3.7).
 *
 * @param chunk the bytes
 */
public record StoreBlobChunk(Bytes chunk) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "storeBlobChunk";

  /** Checks the fields. */
  public StoreBlobChunk {
    Objects.requireNonNull(chunk, "chunk");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(chunk);
  }

  static StoreBlobChunk decode(Args a) {
    a.arity(1, 1);
    return new StoreBlobChunk(a.bytes(0, "chunk"));
  }
}
