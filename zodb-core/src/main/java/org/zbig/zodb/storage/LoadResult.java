package org.zbig.zodb.storage;

import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * A revision found by {@code loadBefore} (docs/protocol.md §3.2).
 *
 * @param data the record
 * @param start the tid of the revision
 * @param end the tid of the next revision of the object, or null if this revision is current; it
 *     must be exact, clients cache by it (docs/protocol.md §5.3)
 */
public record LoadResult(Bytes data, Tid start, Tid end) {
  /** Checks the fields. */
  public LoadResult {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(start, "start");
  }
}
