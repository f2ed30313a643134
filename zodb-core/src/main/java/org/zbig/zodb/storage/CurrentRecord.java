package org.zbig.zodb.storage;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * One step of {@code record_iternext} (docs/protocol.md §3.2): a current record and where to go on.
 *
 * @param oid the object
 * @param tid its current tid
 * @param data its current record
 * @param next the following oid, or null at the end
 */
public record CurrentRecord(Oid oid, Tid tid, Bytes data, Oid next) {
  /** Checks the fields. */
  public CurrentRecord {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(tid, "tid");
    Objects.requireNonNull(data, "data");
  }
}
