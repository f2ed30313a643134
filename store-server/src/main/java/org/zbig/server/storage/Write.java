package org.zbig.server.storage;

import java.nio.file.Path;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * One object revision written by a transaction: data (with a blob file for blob objects), a
 * back-pointer to the data of an earlier revision (undo, restore), or a deletion (docs/protocol.md
 * §5.3, 5.11).
 *
 * @param oid the object
 * @param data the record, or null
 * @param dataTid the revision whose data this one reuses, or null
 * @param blob a file with the blob of this revision, which the commit moves into the storage; or
 *     null
 */
public record Write(Oid oid, Bytes data, Tid dataTid, Path blob) {
  /** Checks the fields. */
  public Write {
    Objects.requireNonNull(oid, "oid");
    if (data != null && dataTid != null) {
      throw new IllegalArgumentException("a write has data or a back-pointer, not both");
    }
    if (blob != null && data == null) {
      throw new IllegalArgumentException("a blob needs the record of its object");
    }
  }

  /** A new record. */
  public static Write data(Oid oid, Bytes data) {
    return new Write(oid, Objects.requireNonNull(data, "data"), null, null);
  }

  /** A new record of a blob object, with its blob file (moved into the storage at commit). */
  public static Write blob(Oid oid, Bytes data, Path blob) {
    return new Write(
        oid, Objects.requireNonNull(data, "data"), null, Objects.requireNonNull(blob, "blob"));
  }

  /** A deletion (or an undone creation). */
  public static Write deletion(Oid oid) {
    return new Write(oid, null, null, null);
  }

  /** A revision that reuses the data (and blob) of revision {@code dataTid}. */
  public static Write backPointer(Oid oid, Tid dataTid) {
    return new Write(oid, null, Objects.requireNonNull(dataTid, "dataTid"), null);
  }

  /** Whether this write deletes the object. */
  public boolean isDeletion() {
    return data == null && dataTid == null;
  }
}
