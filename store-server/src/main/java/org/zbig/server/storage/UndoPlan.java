package org.zbig.server.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.MultipleUndoException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.KnownResolution;

/**
 * The writes that undo a transaction (docs/protocol.md §5.7), whatever keeps the revisions, as
 * FileStorage computes them: for each object the transaction wrote, a back-pointer to the data the
 * object had before it (or a deletion, if the transaction created it), provided the object's
 * current data, or the data already pending in the undoing transaction, is still what the undone
 * transaction wrote. Where it is not, the server merges "back to before" into the current state for
 * the classes it can resolve ({@link KnownResolution}), and otherwise the undo fails for that
 * object. A storage checks that the transaction exists and may be undone, then calls {@link
 * #writes}.
 *
 * <p>Tids are unsigned longs; {@link #DELETED} and {@link #MISSING} stand for a deletion and for no
 * revision.
 */
final class UndoPlan {
  private UndoPlan() {}

  /** A revision that deletes its object. */
  static final long DELETED = -1;

  /** No revision. */
  static final long MISSING = -2;

  /** How the plan reads a storage's revisions; {@code X} is what reading may throw. */
  interface Revisions<X extends Exception> {
    /**
     * The tid of the revision holding the data of {@code oid}'s revision at exactly {@code tid}
     * (following back-pointers), {@link #DELETED} if that revision deletes the object, {@link
     * #MISSING} if there is none.
     */
    long home(Oid oid, long tid) throws X;

    /** The newest revision of {@code oid} at or before {@code tid}, or {@link #MISSING}. */
    long atOrBefore(Oid oid, long tid) throws X;

    /** The data of {@code oid}'s revision at {@code home}, a tid {@link #home} returned. */
    Bytes data(Oid oid, long home) throws X;
  }

  /**
   * The writes undoing {@code undone}, which wrote {@code oids}; {@code pending} holds what the
   * undoing transaction already wrote, {@code last} is the newest tid the storage shows.
   *
   * @throws MultipleUndoException naming each object the undo cannot restore
   */
  static <X extends Exception> List<Write> writes(
      Tid undone, List<Oid> oids, Map<Oid, Write> pending, long last, Revisions<X> revs) throws X {
    long u = undone.value();
    List<Write> out = new ArrayList<>();
    List<MultipleUndoException.Failure> failures = new ArrayList<>();
    for (Oid oid : oids) {
      long rHome = revs.home(oid, u);
      if (rHome == MISSING) {
        continue; // removed by a pack
      }
      boolean same;
      Bytes committed; // the current data, for conflict resolution; null if deleted
      Write w = pending.get(oid);
      if (w != null) {
        long wHome = w.dataTid() == null ? MISSING : revs.home(oid, w.dataTid().value());
        same =
            w.isDeletion()
                ? rHome == DELETED
                : w.dataTid() != null
                    ? rHome != DELETED && wHome == rHome
                    : rHome != DELETED && w.data().equals(revs.data(oid, rHome));
        committed =
            w.isDeletion()
                ? null
                : w.dataTid() != null ? (wHome < 0 ? null : revs.data(oid, wHome)) : w.data();
      } else {
        long cur = revs.atOrBefore(oid, last);
        long curHome = cur == MISSING ? MISSING : revs.home(oid, cur);
        same =
            cur == u
                || curHome == rHome
                || (curHome >= 0
                    && rHome >= 0
                    && revs.data(oid, curHome).equals(revs.data(oid, rHome)));
        committed = curHome < 0 ? null : revs.data(oid, curHome);
      }
      long prev = u == 0 ? MISSING : revs.atOrBefore(oid, u - 1);
      long prevHome = prev == MISSING ? DELETED : revs.home(oid, prev);
      if (!same && committed != null && rHome >= 0 && prevHome >= 0) {
        // changed later: merge "back to before the undone transaction" into the current state,
        // for the classes the server can resolve (B-trees, Length), as FileStorage's undo does
        var resolved =
            KnownResolution.resolve(revs.data(oid, rHome), committed, revs.data(oid, prevHome));
        if (resolved.isPresent()) {
          out.add(Write.data(oid, resolved.get()));
          continue;
        }
      }
      if (!same) {
        failures.add(
            new MultipleUndoException.Failure(
                oid,
                prev == MISSING
                    ? "Can't undo an add transaction followed by conflicting transactions."
                    : "Some data were modified by a later transaction"));
        continue;
      }
      out.add(prevHome < 0 ? Write.deletion(oid) : Write.backPointer(oid, new Tid(prevHome)));
    }
    if (!failures.isEmpty()) {
      throw new MultipleUndoException(failures);
    }
    return out;
  }
}
