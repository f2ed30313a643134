package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code receiveBlobChunk(oid, serial, chunk)}: the next piece of a blob download (docs/protocol.md
 * §3.7).
 *
 * @param oid the object
 * @param serial the revision
 * @param chunk the bytes
 */
public record ReceiveBlobChunk(Oid oid, Tid serial, Bytes chunk) implements ServerCall {
  /** The method name on the wire. */
  public static final String METHOD = "receiveBlobChunk";

  /** Checks the fields. */
  public ReceiveBlobChunk {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(chunk, "chunk");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(serial), chunk);
  }

  static ReceiveBlobChunk decode(Args a) {
    a.arity(3);
    return new ReceiveBlobChunk(a.oid(0, "oid"), a.tid(1, "serial"), a.bytes(2, "chunk"));
  }
}
