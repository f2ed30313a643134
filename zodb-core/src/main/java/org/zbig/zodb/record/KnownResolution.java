package org.zbig.zodb.record;

import java.util.Optional;
import org.zbig.zodb.btree.BTreeClass;
import org.zbig.zodb.btree.BucketConflicts;
import org.zbig.zodb.error.BTreesConflictException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleException;

/**
 * Conflict resolution of the classes whose {@code _p_resolveConflict} a server can run without
 * Python: the B-tree classes ({@link BucketConflicts}: buckets, sets and inline trees of every
 * family) and {@code BTrees.Length.Length} (an int: the other's value plus this one's change).
 * These are the classes real databases resolve most; a storage uses this where ZODB's storages call
 * {@code tryToResolveConflict} and ZEO's server would need the application's code, e.g. to undo a
 * transaction whose objects changed later.
 *
 * <p>Records in, record out: the three revisions must be of one class; the result is pickled as
 * ZODB's {@code ObjectWriter} pickles (Python reads it unchanged). Anything that is not such a
 * class, a malformed state, or changes that cannot be merged give no result: the caller reports the
 * conflict it would have reported without resolution.
 */
public final class KnownResolution {
  private static final String LENGTH = "BTrees.Length.Length";

  private KnownResolution() {}

  /**
   * The merge of {@code committed} and {@code mine}, both changed from {@code old}, or empty.
   *
   * @param old the revision both sides started from
   * @param committed the revision the other side committed
   * @param mine the revision to store instead of {@code committed}
   */
  public static Optional<Bytes> resolve(Bytes old, Bytes committed, Bytes mine) {
    try {
      DataRecord o = DataRecord.decode(old);
      DataRecord c = DataRecord.decode(committed);
      DataRecord m = DataRecord.decode(mine);
      String type = c.classMeta().className();
      if (!type.equals(o.classMeta().className()) || !type.equals(m.classMeta().className())) {
        return Optional.empty();
      }
      Object merged;
      if (type.equals(LENGTH)) {
        if (!(o.state() instanceof Long ov
            && c.state() instanceof Long cv
            && m.state() instanceof Long mv)) {
          return Optional.empty();
        }
        merged = cv + mv - ov;
      } else {
        Optional<BTreeClass> bt = BTreeClass.of(c.classMeta().type());
        if (bt.isEmpty()) {
          return Optional.empty();
        }
        merged = BucketConflicts.resolveState(bt.get(), o.state(), c.state(), m.state());
      }
      return Optional.of(Bytes.wrap(new DataRecord(c.classMeta(), merged).encode()));
    } catch (BTreesConflictException | PickleException | IllegalArgumentException e) {
      return Optional.empty(); // ZODB, too, reports a failed resolution as the conflict itself
    }
  }
}
