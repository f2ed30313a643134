package org.zbig.server.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;

/**
 * Copies a FileStorage ({@code Data.fs}) with its whole history into a {@link Storage}
 * (docs/formats.md §6): every transaction with its tid, status, user, description and extension,
 * every data record, back-pointers as back-pointers and "no data" records as deletions.
 *
 * <p>The file is read twice: first only checked, so that a damaged file is reported before anything
 * is written, then copied. A transaction left incomplete at the end of the file (status {@code
 * 'c'}, or cut short) ends the import there, as ZODB truncates it. Blob files live outside {@code
 * Data.fs} and are not copied.
 */
public final class FileStorageImport {
  private static final int TXN_HEADER = 23;
  private static final int DATA_HEADER = 42;

  private final Path file;
  private final FileChannel in;
  private final long length;

  /**
   * What an import did.
   *
   * @param transactions transactions copied
   * @param records data records copied
   * @param lastTid the last tid copied, z64 if none
   * @param incompleteTailAt where an incomplete last transaction starts, -1 if none
   */
  public record Result(long transactions, long records, Tid lastTid, long incompleteTailAt) {}

  private FileStorageImport(Path file, FileChannel in) throws IOException {
    this.file = file;
    this.in = in;
    this.length = in.size();
  }

  /**
   * Imports {@code dataFs} into {@code target}, which must be empty.
   *
   * @throws StorageException naming the position and the field if the file is damaged, or if {@code
   *     target} already holds transactions; nothing is written then
   */
  public static Result run(Path dataFs, Storage target) {
    return run(dataFs, target, done -> {});
  }

  /**
   * As {@link #run(Path, Storage)}, telling {@code progress} how far it got, in bytes out of twice
   * the file's size (the file is read once to check it, once to import it).
   */
  public static Result run(Path dataFs, Storage target, LongConsumer progress) {
    if (!target.lastTransaction().equals(Tid.Z64)) {
      throw new StorageException(
          "the data folder already holds transactions (last tid "
              + target.lastTransaction().toHex()
              + "): import into an empty folder");
    }
    try (FileChannel in = FileChannel.open(dataFs, StandardOpenOption.READ)) {
      FileStorageImport fs = new FileStorageImport(dataFs, in);
      fs.progress = progress;
      fs.walk(null);
      fs.base = fs.length;
      Result r = fs.walk(target);
      progress.accept(2 * fs.length);
      target.sync();
      return r;
    } catch (IOException e) {
      throw new StorageException("cannot read " + dataFs + ": " + e.getMessage(), e);
    }
  }

  private LongConsumer progress = done -> {};
  private long base;

  private ByteBuffer read(long pos, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (in.read(b, pos + b.position()) < 0) {
        throw damaged(pos, "unexpected end of file reading " + n + " bytes");
      }
    }
    return b.flip();
  }

  private StorageException damaged(long pos, String what) {
    return new StorageException(file + " is damaged at position " + pos + ": " + what);
  }

  /** Reads every transaction; with a target, commits each one into it. */
  private Result walk(Storage target) throws IOException {
    if (length < 4) {
      throw damaged(0, "no FileStorage header (file of " + length + " bytes)");
    }
    String magic = new String(read(0, 4).array(), StandardCharsets.ISO_8859_1);
    if (!magic.equals("FS30") && !magic.equals("FS21")) {
      throw damaged(0, "magic '" + magic + "' (expected: 'FS30' or 'FS21')");
    }
    long pos = 4;
    long txns = 0;
    long records = 0;
    Tid last = Tid.Z64;
    while (pos < length) {
      progress.accept(base + pos);
      if (length - pos < TXN_HEADER) {
        return new Result(txns, records, last, pos);
      }
      ByteBuffer h = read(pos, TXN_HEADER);
      Tid tid = new Tid(h.getLong());
      long tlen = h.getLong();
      char status = (char) (h.get() & 0xff);
      int ulen = h.getShort() & 0xffff;
      int dlen = h.getShort() & 0xffff;
      int elen = h.getShort() & 0xffff;
      if (tlen < TXN_HEADER + ulen + dlen + elen || pos + tlen + 8 > length || status == 'c') {
        return new Result(txns, records, last, pos); // incomplete tail: ZODB truncates it
      }
      if (read(pos + tlen, 8).getLong() != tlen) {
        return new Result(txns, records, last, pos);
      }
      if (status != ' ' && status != 'p' && status != 'u') {
        throw damaged(pos, "transaction status '" + status + "' (expected: ' ', 'p' or 'u')");
      }
      if (tid.compareTo(last) <= 0) {
        throw damaged(pos, "tid " + tid.toHex() + " (expected: > " + last.toHex() + ")");
      }
      ByteBuffer meta = read(pos + TXN_HEADER, ulen + dlen + elen);
      byte[] user = new byte[ulen];
      byte[] description = new byte[dlen];
      byte[] extension = new byte[elen];
      meta.get(user).get(description).get(extension);
      Map<String, Object> ext = Map.of();
      if (elen > 0) {
        try {
          ext = TxnRecords.decodeExtension(tid, extension);
        } catch (CorruptRecordException e) {
          throw damaged(pos, "extension is not a pickled dict: " + e.getMessage());
        }
      }
      List<Write> writes = new ArrayList<>();
      long rpos = pos + TXN_HEADER + ulen + dlen + elen;
      long end = pos + tlen;
      while (rpos < end) {
        if (end - rpos < DATA_HEADER) {
          throw damaged(rpos, "data record header runs past its transaction");
        }
        ByteBuffer r = read(rpos, DATA_HEADER);
        Oid oid = new Oid(r.getLong());
        Tid rtid = new Tid(r.getLong());
        r.getLong(); // prev: the previous revision, implied by our key order
        long tloc = r.getLong();
        int vlen = r.getShort() & 0xffff;
        long plen = r.getLong();
        if (tloc != pos) {
          throw damaged(rpos, "tloc " + tloc + " (expected: " + pos + ")");
        }
        if (!rtid.equals(tid)) {
          throw damaged(rpos, "record tid " + rtid.toHex() + " (expected: " + tid.toHex() + ")");
        }
        if (vlen != 0) {
          throw damaged(rpos, "version length " + vlen + " (expected: 0)");
        }
        long rlen = plen > 0 ? DATA_HEADER + plen : DATA_HEADER + 8;
        if (plen < 0 || plen > Integer.MAX_VALUE - 16 || rpos + rlen > end) {
          throw damaged(rpos, "data length " + plen + " runs past its transaction");
        }
        if (plen > 0) {
          writes.add(
              Write.data(
                  oid,
                  target == null
                      ? Bytes.EMPTY
                      : Bytes.wrap(read(rpos + DATA_HEADER, (int) plen).array())));
        } else {
          long back = read(rpos + DATA_HEADER, 8).getLong();
          if (back == 0) {
            writes.add(Write.deletion(oid));
          } else {
            ByteBuffer b = back >= 4 && back < pos ? read(back, 16) : null;
            if (b == null || b.getLong() != oid.value()) {
              throw damaged(
                  rpos, "back-pointer to " + back + ", not an earlier record of this object");
            }
            writes.add(Write.backPointer(oid, new Tid(b.getLong())));
          }
        }
        records++;
        rpos += rlen;
      }
      if (target != null) {
        target.commit(
            tid,
            new TxnMeta(Bytes.wrap(user), Bytes.wrap(description), ext, String.valueOf(status)),
            writes,
            false);
      }
      txns++;
      last = tid;
      pos = end + 8;
    }
    return new Result(txns, records, last, -1);
  }
}
