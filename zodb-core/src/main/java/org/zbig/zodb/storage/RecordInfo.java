package org.zbig.zodb.storage;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * One record of a transaction from {@code iterator_record_next} (docs/protocol.md §3.6).
 *
 * @param oid the object
 * @param tid the transaction
 * @param data the record, or null for a deletion or an undone creation
 * @param dataTxn the tid whose data a back-pointer record reuses (undo, restore), or null
 */
public record RecordInfo(Oid oid, Tid tid, Bytes data, Tid dataTxn) {
  /** Checks the fields. */
  public RecordInfo {
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(tid, "tid");
  }
}
