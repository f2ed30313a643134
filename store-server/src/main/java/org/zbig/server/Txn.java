package org.zbig.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.OneWayRequest;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * The open transaction of one connection: its metadata and operations, replayed at vote, and where
 * it is on its way through the {@link Committer}.
 */
final class Txn {
  /** Where a transaction is in the commit path. */
  enum State {
    /** Taking operations. */
    OPEN,
    /** Its vote waits for object locks another transaction holds. */
    WAITING,
    /** Its vote returned conflicts for the client to resolve; it keeps its locks. */
    CONFLICTS,
    /** Voted: locked, its writes computed, waiting for {@code tpc_finish}. */
    VOTED,
    /** Queued for, or in, a group write. */
    FINISHING,
    /** Committed, failed or aborted: it holds nothing. */
    DONE
  }

  final long id;
  final TxnMeta meta;
  final Tid requestedTid;
  final ServedStorage.Subscriber owner; // not told of its own commit
  final List<OneWayRequest> ops = new ArrayList<>();
  final List<Path> blobs = new ArrayList<>(); // uploaded blob files, deleted unless committed
  Path upload; // the blob being uploaded, between storeBlobStart and storeBlobEnd
  final Map<Oid, Path> blobOf = new HashMap<>(); // the last blob uploaded for each object

  // the committer's, guarded by its monitor
  volatile State state = State.OPEN;
  final Set<Oid> locked = new HashSet<>();
  List<Write> writes; // set by a successful vote
  Tid tid; // assigned when its group is written
  CompletableFuture<Tid> finished;

  /**
   * Queues the {@code tpc_finish} reply to the committer: run when the transaction is published,
   * under the publication monitor and in tid order, so that the committer receives its own reply
   * before the invalidations of later transactions of its group (ZEO's clients require it).
   */
  Runnable published;

  Txn(long id, TxnMeta meta, Tid requestedTid, ServedStorage.Subscriber owner) {
    this.id = id;
    this.meta = meta;
    this.requestedTid = requestedTid;
    this.owner = owner;
  }

  /** Whether operations may still be added (no successful vote yet, not finishing). */
  boolean open() {
    return state == State.OPEN || state == State.CONFLICTS;
  }
}
