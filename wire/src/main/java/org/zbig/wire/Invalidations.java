package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * The answer of {@code getInvalidations}: every oid changed after the client's tid, and the newest
 * tid (docs/protocol.md §3.1).
 *
 * @param tid the newest committed tid, which becomes the client's cache tid
 * @param oids the changed oids, in no particular order
 */
public record Invalidations(Tid tid, List<Oid> oids) {
  /** Checks and copies the fields. */
  public Invalidations {
    Objects.requireNonNull(tid, "tid");
    oids = List.copyOf(oids);
  }
}
