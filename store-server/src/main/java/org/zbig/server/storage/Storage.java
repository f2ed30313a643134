package org.zbig.server.storage;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.CurrentRecord;
import org.zbig.zodb.storage.LoadResult;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * The storage contract: MVCC history of object revisions and transactions (docs/protocol.md §5.3).
 * Commit ordering, locking and conflict checks belong to the server; a storage only makes a
 * transaction durable and visible atomically. Only committed transactions are visible.
 *
 * <p>Implementations are thread-safe: reads run concurrently with each other and with a commit.
 */
public interface Storage extends AutoCloseable {
  /** The last committed tid, z64 if none. */
  Tid lastTransaction();

  /**
   * The newest revision of {@code oid} with a tid strictly below {@code before}, with the exact tid
   * of the next revision as its end.
   *
   * @return empty if every revision is at or after {@code before}
   * @throws NoSuchObjectException if the object has no revision, or the found one is a deletion
   */
  Optional<LoadResult> loadBefore(Oid oid, Tid before);

  /**
   * As {@link #loadBefore(Oid, Tid)}, where big data may be returned in direct memory taken from
   * {@code lease}: valid until the lease is released (the server releases it once the reply is
   * written).
   */
  default Optional<LoadResult> loadBefore(Oid oid, Tid before, DirectBuffers.Lease lease) {
    return loadBefore(oid, before);
  }

  /**
   * The data of the revision written by transaction {@code serial}, following back-pointers.
   *
   * @throws NoSuchObjectException if there is no such revision or it holds no data
   */
  Bytes loadSerial(Oid oid, Tid serial);

  /** The tid of the newest revision of {@code oid} (a deletion counts), if it has any. */
  Optional<Tid> currentSerial(Oid oid);

  /**
   * {@link #currentSerial} of each of {@code oids}, in their order (a vote checks all its objects
   * at once: a storage over a network answers in one round trip).
   */
  default Map<Oid, Optional<Tid>> currentSerials(Collection<Oid> oids) {
    Map<Oid, Optional<Tid>> out = new LinkedHashMap<>();
    for (Oid o : oids) {
      out.put(o, currentSerial(o));
    }
    return out;
  }

  /**
   * The history of {@code oid}, newest first, at most {@code size} entries, as the dicts {@code
   * history} returns (docs/protocol.md §3.2, 5.9).
   *
   * @throws NoSuchObjectException if the object has no revision
   */
  List<Map<String, Object>> history(Oid oid, int size);

  /** {@code n} fresh oids, the high-water mark made durable before they are returned. */
  List<Oid> newOids(int n);

  /**
   * Makes a transaction durable and visible at once.
   *
   * @param tid its tid, greater than {@link #lastTransaction()}
   * @throws IllegalArgumentException if {@code tid} is not greater than the last one
   */
  void commit(Tid tid, TxnMeta meta, List<Write> writes);

  /**
   * One transaction of {@link #commitAll}.
   *
   * @param tid its tid
   * @param meta its metadata
   * @param writes its writes
   */
  record Commit(Tid tid, TxnMeta meta, List<Write> writes) {}

  /**
   * Makes several transactions durable and visible, in order (group commit): a storage that can
   * write them with one synced write does; nothing of a transaction is visible before it is
   * durable. The default commits them one after another.
   *
   * @param commits tids increasing, each greater than {@link #lastTransaction()}; no object written
   *     by two of them
   * @throws IllegalArgumentException if a tid is not greater than the one before
   */
  default void commitAll(List<Commit> commits) {
    for (Commit c : commits) {
      commit(c.tid(), c.meta(), c.writes());
    }
  }

  /**
   * As {@link #commit(Tid, TxnMeta, List)}, durable only after a later {@link #sync()} when {@code
   * durable} is false (bulk imports).
   */
  default void commit(Tid tid, TxnMeta meta, List<Write> writes, boolean durable) {
    commit(tid, meta, writes);
  }

  /** Makes every commit so far durable. */
  default void sync() {}

  /**
   * Why this storage refuses writes since one failed (a full disk, an I/O error), if it does: the
   * status endpoint shows it.
   */
  default Optional<String> writeFailure() {
    return Optional.empty();
  }

  /** Whether other servers may commit to this storage too ({@link #lockCommits()} matters). */
  default boolean sharedByServers() {
    return false;
  }

  /**
   * Takes the lock that serializes commits with the other servers sharing this storage, blocking
   * while one of them holds it. The server takes it when a vote needs it and keeps it while its
   * transactions vote and finish, then calls {@link #unlockCommits()} (docs/protocol.md §3.3.8,
   * 5.5). A storage that one server owns does nothing.
   */
  default void lockCommits() {}

  /** Releases what {@link #lockCommits()} took; does nothing if it is not held. */
  default void unlockCommits() {}

  /**
   * Runs {@code action} (on a thread of the storage's own) when another server says it waits for
   * the lock {@link #lockCommits()} took; a storage that one server owns never runs it.
   */
  default void onCommitLockWanted(Runnable action) {}

  /** Whether another server waits for the lock {@link #lockCommits()} took (asked now). */
  default boolean othersWaitForCommits() {
    return false;
  }

  /**
   * Makes visible the transactions other servers committed after {@link #lastTransaction()}, and
   * returns them in tid order with the oids each changed, so that the caller can tell its clients
   * atomically with the change (docs/protocol.md §5.6). A storage that one server owns returns
   * nothing.
   */
  default SequencedMap<Tid, List<Oid>> catchUp() {
    return Collections.emptyNavigableMap();
  }

  /**
   * Runs {@code action} (on a thread of the storage's own) whenever other servers may have
   * committed; the action calls {@link #catchUp()}. A storage that one server owns never runs it.
   */
  default void onForeignCommits(Runnable action) {}

  /**
   * The committed transactions with {@code start <= tid <= stop}, in tid order; those at or before
   * {@link #packedUpTo()} have status {@code "p"}.
   */
  Iterable<TransactionInfo> transactions(Tid start, Tid stop);

  /** The committed transactions, newest first (the order of {@code undoLog}). */
  Iterable<TransactionInfo> transactionsNewestFirst();

  /** The size of a transaction: its data records and its metadata, in bytes (0 if unknown). */
  long transactionSize(Tid tid);

  /**
   * The writes that undo transaction {@code undone} inside a new transaction whose earlier writes
   * are {@code pending} (docs/protocol.md §5.7): for each object {@code undone} wrote, a
   * back-pointer to the revision before it, or a deletion if it created the object.
   *
   * @throws org.zbig.zodb.error.UndoException if {@code undone} is unknown, packed or not normal
   * @throws org.zbig.zodb.error.MultipleUndoException if objects changed after {@code undone}
   */
  List<Write> undo(Tid undone, Map<Oid, Write> pending);

  /**
   * Removes history up to {@code packTid} (docs/protocol.md §5.8): revisions that were not current
   * at {@code packTid}, and with {@code gc} the objects unreachable from the root at {@code
   * packTid}. Revisions after {@code packTid} are kept. Reads and commits may run meanwhile.
   *
   * @return what was removed; nothing when {@code packTid} is not after the last pack
   */
  PackResult pack(Tid packTid, boolean gc);

  /** The tid up to which history was packed, z64 if never. */
  Tid packedUpTo();

  /**
   * A new empty file for an incoming blob, on the same file system as the stored blobs so that a
   * commit moves it into place.
   */
  Path newBlobFile();

  /**
   * Takes the file that a client sharing this storage's blob folder ({@code shared_blob_dir=True})
   * wrote for a new blob of {@code oid}: {@code name}, in the object's folder of the blob folder,
   * checked to be a regular file, is moved at once to a name of the storage's own, on the same file
   * system, so that neither the client nor another transaction naming the same file can take it
   * away before the commit moves it into place (an abort deletes it). The file to hand to {@link
   * Write#blob}.
   *
   * @throws InvalidValueException naming the value and what was expected: {@code name} is not the
   *     name of a temporary blob file, or no regular file of that name is there (then nothing
   *     moved)
   * @throws StorageException if this storage keeps no blob folder a client could share
   */
  default Path takeSharedBlobFile(Oid oid, String name) {
    throw new StorageException(
        "this storage keeps its blobs in its database, not in a folder a client could share"
            + " (shared_blob_dir=True): give the client a blob_dir of its own");
  }

  /**
   * The blob file of revision {@code serial} of {@code oid} (following back-pointers); read it, do
   * not change it.
   *
   * @throws NoSuchObjectException if that revision has no blob
   */
  Path blobFile(Oid oid, Tid serial);

  /** The objects transaction {@code tid} wrote, without their data. */
  default List<Oid> transactionOids(Tid tid) {
    return records(tid).stream().map(RecordInfo::oid).toList();
  }

  /** The records of transaction {@code tid}, in the order written. */
  List<RecordInfo> records(Tid tid);

  /** The first current, not deleted record at or after {@code from} (null: the smallest oid). */
  Optional<CurrentRecord> recordAtOrAfter(Oid from);

  /** The number of objects ever stored (informational, {@code get_info}'s length). */
  long objectCount();

  /** Bytes of object data stored (informational, {@code get_info}'s size). */
  long size();

  /** A short name for {@code get_info}, e.g. the data folder. */
  String name();

  @Override
  void close();
}
