package org.zbig.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.CommandTree.Node;
import org.zbig.server.storage.KvStorage;
import org.zbig.server.storage.Storage;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.IteratorGc;
import org.zbig.wire.IteratorNext;
import org.zbig.wire.IteratorRecordNext;
import org.zbig.wire.IteratorRecordStart;
import org.zbig.wire.IteratorStart;
import org.zbig.wire.LastTransaction;
import org.zbig.wire.MsgId;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ServerException;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.storage.RecordInfo;
import org.zbig.zodb.storage.TransactionInfo;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code backup}: copies the history of a running server's storage into a data folder, through the
 * ZEO protocol's transaction iterator (docs/protocol.md §3.6) and {@code sendBlob} (3.7).
 *
 * <p>The copy is consistent: it holds exactly the transactions up to the server's last tid at the
 * start, each applied whole, with their tids, metadata, back-pointers and blobs, so the folder is a
 * data folder that {@code serve --data} opens as it was at that tid. Backing up into a folder that
 * already holds a backup of the same storage copies only the transactions after its last one
 * (incremental). The server keeps serving and committing meanwhile; since it speaks only ZEO, the
 * command also backs up any ZEO server, such as Python's.
 */
final class BackupCommand implements Callable<Integer> {
  static final String DESCRIPTION =
      "Copy a running server's storage, with its history, into a data folder (a consistent"
          + " snapshot at the server's last transaction); into an earlier backup, copy only what"
          + " is new.";

  final RemoteStorageOptions remote = new RemoteStorageOptions();
  Path dir;
  CommandSpec spec;

  BackupCommand() {}

  static CommandSpec model(Node node) {
    BackupCommand c = new BackupCommand();
    CommandSpec spec = CommandTree.command(c, node);
    c.spec = spec;
    c.remote.addTo(spec);
    spec.addPositional(
        CommandTree.positional(
            PositionalParamSpec.builder()
                .index("0")
                .arity("1")
                .required(true)
                .type(Path.class)
                .paramLabel("DIR")
                .description("the backup data folder"),
            () -> c.dir,
            v -> c.dir = v));
    return spec;
  }

  /** What one backup run copied. */
  record Result(long transactions, long records, long blobs, Tid from, Tid lastTid) {}

  @Override
  public Integer call() throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "DIR: '" + dir + "' (expected: a folder, new or an earlier backup)");
    }
    Files.createDirectories(dir);
    long t0 = System.nanoTime();
    Result r;
    try (AdminCommands.Call c =
            new AdminCommands.Call(
                remote.address(spec.commandLine()),
                remote.storage,
                true,
                remote.tls(spec.commandLine()));
        Storage target = KvStorage.rocks(dir.toAbsolutePath())) {
      r = run(c, target);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (r.transactions() == 0) {
      out.printf(
          Locale.ROOT, "backup in %s is up to date (last tid %s)%n", dir, r.lastTid().toHex());
    } else {
      out.printf(
          Locale.ROOT,
          "backed up %d transactions, %d records, %d blobs of storage '%s' at %s into %s"
              + " (%s, last tid %s) in %.1f s%n",
          r.transactions(),
          r.records(),
          r.blobs(),
          remote.storage,
          remote.server,
          dir,
          r.from().equals(Tid.Z64) ? "full" : "incremental after " + r.from().toHex(),
          r.lastTid().toHex(),
          (System.nanoTime() - t0) / 1e9);
    }
    out.flush();
    return 0;
  }

  /** Copies the transactions the server has and {@code target} lacks, up to its last tid. */
  static Result run(AdminCommands.Call c, Storage target) throws IOException {
    Tid have = target.lastTransaction();
    Tid last = c.call(new LastTransaction(MsgId.of(c.nextId())));
    int cmp = have.compareTo(last);
    if (cmp > 0) {
      throw new IllegalStateException(
          "the backup's last transaction "
              + have.toHex()
              + " is newer than the server's "
              + last.toHex()
              + " (expected: a backup of this storage, or an empty folder)");
    }
    if (cmp == 0) {
      return new Result(0, 0, 0, have, have);
    }
    Tid start = have.equals(Tid.Z64) ? Tid.Z64 : new Tid(have.value() + 1);
    long iid = c.call(new IteratorStart(MsgId.of(c.nextId()), start, last));
    long txns = 0;
    long records = 0;
    long blobs = 0;
    try {
      for (Optional<TransactionInfo> next;
          (next = c.call(new IteratorNext(MsgId.of(c.nextId()), iid))).isPresent(); ) {
        TransactionInfo t = next.get();
        long rid = c.call(new IteratorRecordStart(MsgId.of(c.nextId()), iid, t.tid()));
        List<Write> writes = new ArrayList<>();
        for (Optional<RecordInfo> rec;
            (rec = c.call(new IteratorRecordNext(MsgId.of(c.nextId()), rid))).isPresent(); ) {
          RecordInfo ri = rec.get();
          records++;
          if (ri.data() == null) {
            writes.add(Write.deletion(ri.oid()));
          } else if (ri.dataTxn() != null && holds(target, ri)) {
            writes.add(Write.backPointer(ri.oid(), ri.dataTxn()));
          } else if (isBlobRecord(ri)) {
            Path file = target.newBlobFile();
            try {
              c.loadBlob(ri.oid(), t.tid(), file);
              writes.add(Write.blob(ri.oid(), ri.data(), file));
              blobs++;
            } catch (NoSuchObjectException | ServerException noBlob) {
              if (noBlob instanceof ServerException other
                  && !other.remoteClassName().endsWith(".POSKeyError")) {
                throw other;
              }
              // a blob record without its file: copied without it, as ZODB's copy does
              Files.deleteIfExists(file);
              writes.add(Write.data(ri.oid(), ri.data()));
            }
          } else {
            writes.add(Write.data(ri.oid(), ri.data()));
          }
        }
        target.commit(
            t.tid(),
            new TxnMeta(t.user(), t.description(), t.extension(), t.status()),
            writes,
            false);
        txns++;
      }
    } finally {
      c.send(new IteratorGc(List.of(iid)));
    }
    target.sync();
    return new Result(txns, records, blobs, have, target.lastTransaction());
  }

  /** Whether {@code target} holds the revision a back-pointer refers to. */
  private static boolean holds(Storage target, RecordInfo r) {
    try {
      target.loadSerial(r.oid(), r.dataTxn());
      return true;
    } catch (NoSuchObjectException missing) {
      return false;
    }
  }

  /** As ZODB's {@code is_blob_record}: the record is of class {@code ZODB.blob.Blob}. */
  private static boolean isBlobRecord(RecordInfo r) {
    try {
      return DataRecord.decodeClassMeta(r.data().segment())
          .type()
          .dotted()
          .equals("ZODB.blob.Blob");
    } catch (RuntimeException unreadable) {
      return false;
    }
  }
}
