package org.zbig.server;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import org.zbig.server.storage.PackResult;
import org.zbig.server.storage.Storage;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.storage.CurrentRecord;
import org.zbig.zodb.storage.LoadResult;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;

/** A storage that passes every call to another: tests override what they inject faults into. */
public class ForwardingStorage implements Storage {
  final Storage next;

  public ForwardingStorage(Storage next) {
    this.next = next;
  }

  @Override
  public Tid lastTransaction() {
    return next.lastTransaction();
  }

  @Override
  public Optional<LoadResult> loadBefore(Oid oid, Tid before) {
    return next.loadBefore(oid, before);
  }

  @Override
  public Bytes loadSerial(Oid oid, Tid serial) {
    return next.loadSerial(oid, serial);
  }

  @Override
  public Optional<Tid> currentSerial(Oid oid) {
    return next.currentSerial(oid);
  }

  @Override
  public List<Map<String, Object>> history(Oid oid, int size) {
    return next.history(oid, size);
  }

  @Override
  public List<Oid> newOids(int n) {
    return next.newOids(n);
  }

  @Override
  public void commit(Tid tid, TxnMeta meta, List<Write> writes) {
    next.commit(tid, meta, writes);
  }

  @Override
  public void commitAll(List<Commit> commits) {
    next.commitAll(commits);
  }

  @Override
  public void commit(Tid tid, TxnMeta meta, List<Write> writes, boolean durable) {
    next.commit(tid, meta, writes, durable);
  }

  @Override
  public void sync() {
    next.sync();
  }

  @Override
  public boolean sharedByServers() {
    return next.sharedByServers();
  }

  @Override
  public void lockCommits() {
    next.lockCommits();
  }

  @Override
  public void unlockCommits() {
    next.unlockCommits();
  }

  @Override
  public SequencedMap<Tid, List<Oid>> catchUp() {
    return next.catchUp();
  }

  @Override
  public void onForeignCommits(Runnable action) {
    next.onForeignCommits(action);
  }

  @Override
  public Iterable<TransactionInfo> transactions(Tid start, Tid stop) {
    return next.transactions(start, stop);
  }

  @Override
  public Iterable<TransactionInfo> transactionsNewestFirst() {
    return next.transactionsNewestFirst();
  }

  @Override
  public long transactionSize(Tid tid) {
    return next.transactionSize(tid);
  }

  @Override
  public List<Write> undo(Tid undone, Map<Oid, Write> pending) {
    return next.undo(undone, pending);
  }

  @Override
  public PackResult pack(Tid packTid, boolean gc) {
    return next.pack(packTid, gc);
  }

  @Override
  public Tid packedUpTo() {
    return next.packedUpTo();
  }

  @Override
  public Path newBlobFile() {
    return next.newBlobFile();
  }

  @Override
  public Path blobFile(Oid oid, Tid serial) {
    return next.blobFile(oid, serial);
  }

  @Override
  public List<Oid> transactionOids(Tid tid) {
    return next.transactionOids(tid);
  }

  @Override
  public List<RecordInfo> records(Tid tid) {
    return next.records(tid);
  }

  @Override
  public Optional<CurrentRecord> recordAtOrAfter(Oid from) {
    return next.recordAtOrAfter(from);
  }

  @Override
  public long objectCount() {
    return next.objectCount();
  }

  @Override
  public long size() {
    return next.size();
  }

  @Override
  public String name() {
    return next.name();
  }

  @Override
  public void close() {
    next.close();
  }
}
