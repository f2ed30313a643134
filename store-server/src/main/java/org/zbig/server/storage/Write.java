package org.zbig.server.storage;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * One object revision written by a transaction: data, a back-pointer to the data of an earlier
 * revision (undo, restore), or a deletion (protocol spec 5.3).
 *
 * @param oid the object
 * @param data the record, or null
 * @param dataTid the revision whose data this one reuses, or null
 */
public record Write(Oid oid, Bytes data, Tid dataTid) {
  /** Checks the fields. */
  public Write {
    Objects.requireNonNull(oid, "oid");
    if (data != null && dataTid != null) {
      throw new IllegalArgumentException("a write has data or a back-pointer, not both");
    }
  }

  /** A new record. */
  public static Write data(Oid oid, Bytes data) {
    return new Write(oid, Objects.requireNonNull(data, "data"), null);
  }

  /** A deletion (or an undone creation). */
  public static Write deletion(Oid oid) {
    return new Write(oid, null, null);
  }

  /** A revision that reuses the data of revision {@code dataTid}. */
  public static Write backPointer(Oid oid, Tid dataTid) {
    return new Write(oid, null, Objects.requireNonNull(dataTid, "dataTid"));
  }

  /** Whether this write deletes the object. */
  public boolean isDeletion() {
    return data == null && dataTid == null;
  }
}
