package org.zbig.server.net;

import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.MissingKeyException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/**
 * A connection's open storage iterators by the ids it gave the client (docs/protocol.md §3.6):
 * transaction iterators ({@code iterator_start}, {@code iterator_next}) and the record iterators of
 * the transaction each one is at ({@code iterator_record_start}, {@code iterator_record_next}). An
 * iterator is dropped when exhausted or released ({@code iterator_gc}). Used on the connection's
 * event loop only.
 */
final class Iterators {
  private long nextId;
  private final Map<Long, Transactions> transactions = new HashMap<>();
  private final Map<Long, Iterator<RecordInfo>> records = new HashMap<>();

  /** A transaction iterator and the transaction it last gave. */
  private static final class Transactions {
    final Iterator<TransactionInfo> it;
    Tid current;

    Transactions(Iterator<TransactionInfo> it) {
      this.it = it;
    }
  }

  /** How many iterators are open. */
  int open() {
    return transactions.size() + records.size();
  }

  /** Opens a transaction iterator and returns its id. */
  long startTransactions(Iterator<TransactionInfo> it) {
    long id = nextId++;
    transactions.put(id, new Transactions(it));
    return id;
  }

  /** The next transaction of iterator {@code iid}, or empty (and the iterator gone) at the end. */
  Optional<TransactionInfo> nextTransaction(long iid) {
    Transactions t = transactions.get(iid);
    if (t == null) {
      throw new MissingKeyException(iid);
    }
    if (!t.it.hasNext()) {
      transactions.remove(iid);
      return Optional.empty();
    }
    TransactionInfo info = t.it.next();
    t.current = info.tid();
    return Optional.of(info);
  }

  /**
   * Checks that transaction iterator {@code iid} is at {@code tid}, as a request for that
   * transaction's records must come right after it.
   */
  void checkAt(long iid, Tid tid) {
    Transactions t = transactions.get(iid);
    if (t == null || !tid.equals(t.current)) {
      throw new StorageException("Out-of-order request for the records of " + tid.toHex());
    }
  }

  /** Opens a record iterator and returns its id. */
  long startRecords(Iterator<RecordInfo> it) {
    long id = nextId++;
    records.put(id, it);
    return id;
  }

  /** The next record of iterator {@code iid}, or empty (and the iterator gone) at the end. */
  Optional<RecordInfo> nextRecord(long iid) {
    Iterator<RecordInfo> it = records.get(iid);
    if (it == null) {
      throw new MissingKeyException(iid);
    }
    if (!it.hasNext()) {
      records.remove(iid);
      return Optional.empty();
    }
    return Optional.of(it.next());
  }

  /** Releases the iterators {@code ids} (of either kind; unknown ids are ignored). */
  void release(Collection<Long> ids) {
    for (long id : ids) {
      transactions.remove(id);
      records.remove(id);
    }
  }
}
