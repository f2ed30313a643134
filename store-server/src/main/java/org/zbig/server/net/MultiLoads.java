package org.zbig.server.net;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.zbig.server.storage.Storage;
import org.zbig.wire.LoadBeforeMany;
import org.zbig.wire.LoadBeforeTree;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.record.References;
import org.zbig.zodb.storage.LoadResult;

/**
 * The answers to the calls that load many records at once ({@code zbigLoadBeforeMany}, {@code
 * zbigLoadBeforeTree}: docs/protocol.md), from a {@link Storage} alone: no channel, no connection
 * state. {@link ConnectionHandler} sends what they return.
 */
final class MultiLoads {
  private MultiLoads() {}

  /**
   * Each oid's {@code loadBefore}, None for one without a revision before the bound (as {@code
   * loadBefore} answers) or none at all (where it raises POSKeyError); stops once the data reach
   * {@link LoadBeforeMany#REPLY_BYTES}, and the client asks again for the rest.
   */
  static List<Optional<LoadResult>> many(Storage storage, LoadBeforeMany r) {
    List<Optional<LoadResult>> out = new ArrayList<>(r.oids().size());
    long bytes = 0;
    for (Oid oid : r.oids()) {
      Optional<LoadResult> found = loadOrNone(storage, oid, r.before());
      out.add(found);
      if (found.isPresent()) {
        bytes += found.get().data().length();
        if (bytes >= LoadBeforeMany.REPLY_BYTES) {
          break;
        }
      }
    }
    return out;
  }

  /**
   * The {@code loadBefore} of {@code r.oid()} and of what it refers to, breadth first, each object
   * once, up to {@code r.depth()} references deep: see {@link LoadBeforeTree}. A record that is not
   * a pair of pickles refers to nothing; an object without a revision before the bound is left out.
   */
  static List<LoadBeforeTree.Found> tree(Storage storage, LoadBeforeTree r) {
    List<LoadBeforeTree.Found> out = new ArrayList<>();
    Set<Oid> seen = new HashSet<>();
    List<Oid> level = List.of(r.oid());
    seen.add(r.oid());
    long bytes = 0;
    full:
    for (int depth = 0; !level.isEmpty(); depth++) {
      List<Oid> next = new ArrayList<>();
      for (Oid oid : level) {
        if (out.size() == LoadBeforeTree.MAX_RECORDS || bytes >= LoadBeforeTree.REPLY_BYTES) {
          break full;
        }
        Optional<LoadResult> found = loadOrNone(storage, oid, r.before());
        if (found.isEmpty()) {
          continue;
        }
        LoadResult record = found.get();
        out.add(new LoadBeforeTree.Found(oid, record));
        bytes += record.data().length();
        if (depth < r.depth()) {
          List<Oid> refs;
          try {
            refs = References.extract(record.data().segment());
          } catch (PickleException e) {
            refs = List.of(); // not a ZODB record (raw data): it refers to nothing
          }
          for (Oid ref : refs) {
            if (seen.add(ref)) {
              next.add(ref);
            }
          }
        }
      }
      level = next;
    }
    return out;
  }

  /** {@code loadBefore}, with an object that has no revision at all as none before the bound. */
  private static Optional<LoadResult> loadOrNone(Storage storage, Oid oid, Tid before) {
    try {
      return storage.loadBefore(oid, before);
    } catch (NoSuchObjectException e) {
      return Optional.empty();
    }
  }
}
