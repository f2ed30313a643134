package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * A write conflict the client is asked to resolve, the dict {@code {'oid', 'serials', 'data'}} in a
 * vote result (docs/protocol.md §3.3.8).
 *
 * @param oid the object
 * @param committed the tid now committed for it ({@code serials[0]})
 * @param read the tid the client's store was based on ({@code serials[1]})
 * @param data the record the client sent
 */
public record ResolvableConflict(Oid oid, Tid committed, Tid read, Bytes data) {
  /** Checks the fields. */
  public ResolvableConflict {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(committed, "committed");
    Objects.requireNonNull(read, "read");
    Objects.requireNonNull(data, "data");
  }
}
