package org.zbig.server.commit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.OneWayRequest;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/**
 * The open transaction of one connection: its metadata and operations, replayed at vote, and where
 * it is on its way through the {@link Committer}.
 */
public final class Txn {
  private static final Logger LOG = LoggerFactory.getLogger(Txn.class);

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

  public final long id;
  final TxnMeta meta;
  final Tid requestedTid;
  final ServedStorage.Subscriber owner; // not told of its own commit
  public final List<OneWayRequest> ops = new ArrayList<>();
  private final List<Path> blobs =
      new ArrayList<>(); // uploaded blob files, deleted unless committed
  final Map<Oid, Path> blobOf = new HashMap<>(); // the last blob uploaded for each object

  /**
   * The first error of a one-way operation that fails the transaction without closing the
   * connection (a shared blob file that is not there): the vote raises it.
   */
  public RuntimeException refused;

  // the committer's, guarded by its monitor
  volatile State state = State.OPEN;
  final Set<Oid> locked = new HashSet<>();
  List<Write> writes; // set by a successful vote
  public Tid tid; // assigned when its group is written
  CompletableFuture<Tid> finished;

  /**
   * Queues the {@code tpc_finish} reply to the committer: run when the transaction is published,
   * under the publication monitor and in tid order, so that the committer receives its own reply
   * before the invalidations of later transactions of its group (ZEO's clients require it).
   */
  public Runnable published;

  public Txn(long id, TxnMeta meta, Tid requestedTid, ServedStorage.Subscriber owner) {
    this.id = id;
    this.meta = meta;
    this.requestedTid = requestedTid;
    this.owner = owner;
  }

  /** Whether operations may still be added (no successful vote yet, not finishing). */
  public boolean open() {
    return state == State.OPEN || state == State.CONFLICTS;
  }

  /** A blob file uploaded for this transaction: it is deleted unless the transaction commits. */
  public void uploaded(Path file) {
    blobs.add(file);
  }

  /** {@code storeBlobEnd}: {@code file}, uploaded complete, is the new blob of {@code oid}. */
  public void blobStored(Oid oid, Path file) {
    blobOf.put(oid, file);
  }

  /** Deletes the blob files uploaded for this transaction (it did not commit). */
  public void deleteUploads() {
    for (Path p : blobs) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        LOG.warn("could not remove blob upload {}: {}", p, e.toString());
      }
    }
    blobs.clear();
  }
}
