package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;

/** The contract on RocksDB, plus what only a folder on disk can show. */
class KvStorageRocksTest extends StorageContract {
  @TempDir Path dir;

  @Override
  protected Storage open() {
    return KvStorage.rocks(dir.resolve("data"));
  }

  @Test
  void reopenedStorageKeepsHistoryTidsAndOids() {
    storage.commit(new Tid(77), META, List.of(Write.data(new Oid(4), Bytes.utf8("kept"))));
    storage.newOids(10);
    storage.close();
    storage = open();
    assertThat(storage.lastTransaction()).isEqualTo(new Tid(77));
    assertThat(storage.loadSerial(new Oid(4), new Tid(77))).isEqualTo(Bytes.utf8("kept"));
    assertThat(storage.newOids(1)).containsExactly(new Oid(15));
    assertThat(storage.objectCount()).isEqualTo(1);
  }

  @Test
  void currentSerialAfterReopeningKnowsStoredOidsHighOnesTooAndNewOnesWithoutThem() {
    // reopened: no serial is cached, every answer comes from the data or from the stored maximum
    Oid small = new Oid(3);
    Oid high = new Oid(0x8000_0000_0000_0005L); // negative as a signed value
    storage.commit(
        new Tid(10),
        META,
        List.of(Write.data(small, Bytes.utf8("s")), Write.data(high, Bytes.utf8("h"))));
    storage.close();
    storage = open();
    assertThat(storage.currentSerial(small)).contains(new Tid(10));
    assertThat(storage.currentSerial(high)).contains(new Tid(10));
    assertThat(storage.currentSerial(new Oid(2))).isEmpty();
    assertThat(storage.currentSerial(new Oid(4))).as("above every oid stored").isEmpty();
    assertThat(storage.currentSerial(new Oid(0x8000_0000_0000_0006L))).isEmpty();
    storage.commit(new Tid(11), META, List.of(Write.data(new Oid(4), Bytes.utf8("a"))));
    storage.close();
    storage = open();
    assertThat(storage.currentSerial(new Oid(4))).contains(new Tid(11));
    assertThat(storage.objectCount()).isEqualTo(3);
  }

  /** Rewrites the stored value of revision {@code tid} of {@code oid} with the storage closed. */
  private void rewrite(Oid oid, long tid, java.util.function.UnaryOperator<byte[]> change) {
    storage.close();
    byte[] key =
        java.nio.ByteBuffer.allocate(17).put((byte) 'r').putLong(oid.value()).putLong(tid).array();
    try (RocksKv kv = new RocksKv(dir.resolve("data"))) {
      kv.write(java.util.Map.of(key, change.apply(kv.get(key))), true);
    }
    storage = open();
  }

  private static byte[] block(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  @Test
  void aRecordDamagedOnDiskIsAnErrorNamingOidAndTidNeverServed() {
    byte[] data = block(300 << 10); // a blob-file value
    Oid oid = new Oid(9);
    ((KvStorage) storage).dedup(false); // a whole record (chunks: dedupDamage...)
    storage.commit(new Tid(5), META, List.of(Write.data(oid, Bytes.wrap(data))));
    storage.commit(new Tid(6), META, List.of(Write.data(new Oid(10), Bytes.utf8("other"))));
    rewrite(
        oid,
        5,
        v -> {
          byte[] d = v.clone();
          d[d.length / 2] ^= 0x10; // one bit, past the header: RocksDB's own checks see no harm
          return d;
        });
    for (Tid before : List.of(new Tid(Long.MAX_VALUE), new Tid(6))) {
      assertThatThrownBy(() -> storage.loadBefore(oid, before))
          .isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining("oid " + oid.toHex())
          .hasMessageContaining("tid " + new Tid(5).toHex())
          .hasMessageContaining("checksum");
    }
    assertThatThrownBy(() -> storage.loadSerial(oid, new Tid(5)))
        .isInstanceOf(CorruptRecordException.class);
    // the rest is served
    assertThat(storage.loadBefore(new Oid(10), new Tid(Long.MAX_VALUE)).orElseThrow().data())
        .isEqualTo(Bytes.utf8("other"));
  }

  /** The sizes of the data folder's blob files, by name. */
  private java.util.Map<String, Long> blobFiles() throws java.io.IOException {
    java.util.Map<String, Long> sizes = new java.util.TreeMap<>();
    try (var files = Files.list(dir.resolve("data"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".blob")).toList()) {
        sizes.put(f.getFileName().toString(), Files.size(f));
      }
    }
    return sizes;
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  @Test
  void packGivesBackTheDiskSpaceOfTheBigRevisionsItRemoves() throws Exception {
    ((KvStorage) storage).dedup(false); // whole records, in blob files
    Random r = new Random(3);
    Oid big = new Oid(1);
    byte[] last = null;
    for (int t = 1; t <= 12; t++) {
      last = random(r, 1 << 20);
      storage.commit(new Tid(t), META, List.of(Write.data(big, Bytes.wrap(last))));
    }
    byte[] other = random(r, 1 << 20);
    storage.commit(new Tid(13), META, List.of(Write.data(new Oid(2), Bytes.wrap(other))));
    storage.close();
    storage = open(); // the log recovered into tables and blob files
    long before = blobFiles().values().stream().mapToLong(Long::longValue).sum();
    assertThat(before).as("13 MiB of records in blob files").isGreaterThan(13L << 20);

    storage.pack(new Tid(13), false); // 11 revisions of oid 1 go
    long after = blobFiles().values().stream().mapToLong(Long::longValue).sum();
    assertThat(after).as("blob bytes after the pack").isLessThan(3L << 20);
    assertThat(storage.loadBefore(big, Tid.MAX).orElseThrow().data()).isEqualTo(Bytes.wrap(last));
    assertThat(storage.loadBefore(new Oid(2), Tid.MAX).orElseThrow().data())
        .isEqualTo(Bytes.wrap(other));
    storage.close();
    storage = open();
    assertThat(storage.loadBefore(big, Tid.MAX).orElseThrow().data()).isEqualTo(Bytes.wrap(last));
  }

  /**
   * A pack whose reclaim a close stopped: the space of the revisions it removed comes back after
   * the next open, on a thread of its own, without another pack.
   */
  @Test
  void aReclaimStoppedByACloseGoesOnAfterTheNextOpen() throws Exception {
    storage.close();
    FaultyStores.Faults faults = new FaultyStores.Faults();
    faults.stopReclaims(true);
    KvStorage s = FaultyStores.rocks(dir.resolve("data"), faults);
    s.dedup(false);
    Random r = new Random(7);
    byte[] last = null;
    for (int t = 1; t <= 12; t++) {
      last = random(r, 1 << 20);
      s.commit(new Tid(t), META, List.of(Write.data(new Oid(1), Bytes.wrap(last))));
    }
    s.close();
    s = FaultyStores.rocks(dir.resolve("data"), faults); // the log recovered into blob files
    assertThat(s.reclaimPending()).as("pending before any pack").isFalse();
    assertThat(s.pack(new Tid(12), false).revisions()).isEqualTo(11);
    assertThat(s.reclaimPending()).as("pending after the stopped reclaim").isTrue();
    long kept = blobFiles().values().stream().mapToLong(Long::longValue).sum();
    assertThat(kept).as("blob bytes after the stopped reclaim").isGreaterThan(12L << 20);
    s.close();

    KvStorage again = KvStorage.rocks(dir.resolve("data"));
    storage = again;
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (again.reclaimPending() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(again.reclaimPending()).as("pending 60 s after the open").isFalse();
    long after = blobFiles().values().stream().mapToLong(Long::longValue).sum();
    assertThat(after).as("blob bytes after the open").isLessThan(2L << 20);
    assertThat(again.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data())
        .isEqualTo(Bytes.wrap(last));
    again.close();
    storage = open();
    assertThat(((KvStorage) storage).reclaimPending()).as("pending after one more open").isFalse();
  }

  /** A pack that removes small revisions only leaves the blob files (the big data) as they are. */
  @Test
  void packOfSmallRevisionsOnlyDoesNotRewriteTheBlobFiles() throws Exception {
    ((KvStorage) storage).dedup(false);
    byte[] big = random(new Random(6), 1 << 20);
    storage.commit(new Tid(1), META, List.of(Write.data(new Oid(1), Bytes.wrap(big))));
    for (int t = 2; t <= 6; t++) {
      storage.commit(new Tid(t), META, List.of(Write.data(new Oid(2), Bytes.utf8("v" + t))));
    }
    storage.close();
    storage = open();
    java.util.Map<String, Long> files = blobFiles();
    assertThat(files).isNotEmpty();
    assertThat(storage.pack(new Tid(6), false).revisions()).isEqualTo(4);
    assertThat(blobFiles()).isEqualTo(files);
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data())
        .isEqualTo(Bytes.wrap(big));
  }

  /**
   * Between packs, compactions leave blob files as they are: with RocksDB's blob garbage collection
   * on, each compaction rewrote the blobs of the oldest quarter of the files, garbage or not.
   */
  @Test
  void compactionsOfAGrowingStoreDoNotRewriteItsBlobFiles() throws Exception {
    ((KvStorage) storage).dedup(false);
    Random r = new Random(4);
    long oid = 1;
    java.util.Map<String, Long> first = null;
    for (int round = 1; round <= 6; round++) { // each round a table and a blob file of its own
      if (round == 4) {
        first = blobFiles(); // before the first compaction
      }
      for (int i = 0; i < 4; i++) {
        storage.commit(
            new Tid(round * 10L + i),
            META,
            List.of(Write.data(new Oid(oid++), Bytes.wrap(random(r, 256 << 10)))));
      }
      storage.close();
      storage = open();
    }
    assertThat(first).hasSize(3);
    // four tables in level 0 start a compaction: wait for it to end
    RocksKv kv = (RocksKv) ((KvStorage) storage).kv();
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (kv.filesAtLevel(0) >= 4 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    while (kv.property("rocksdb.compaction-pending") > 0
        || kv.property("rocksdb.num-running-compactions") > 0) {
      Thread.sleep(20);
    }
    assertThat(kv.filesAtLevel(0)).as("six tables written, compacted").isLessThan(4);
    assertThat(blobFiles()).containsAllEntriesOf(first).hasSize(6);
    for (long o = 1; o < oid; o++) {
      assertThat(storage.loadBefore(new Oid(o), Tid.MAX)).isPresent();
    }
  }

  @Test
  void aRecordUnderAnotherKeyFailsItsChecksum() {
    Oid oid = new Oid(3);
    storage.commit(new Tid(5), META, List.of(Write.data(oid, Bytes.utf8("first"))));
    storage.commit(new Tid(6), META, List.of(Write.data(oid, Bytes.utf8("second"))));
    byte[] key5 = java.nio.ByteBuffer.allocate(17).put((byte) 'r').putLong(3).putLong(5).array();
    byte[][] old = new byte[1][];
    storage.close();
    try (RocksKv kv = new RocksKv(dir.resolve("data"))) {
      old[0] = kv.get(key5);
    }
    storage = open();
    rewrite(oid, 6, v -> old[0]); // revision 5's bytes where revision 6 belongs
    assertThatThrownBy(() -> storage.loadBefore(oid, new Tid(Long.MAX_VALUE)))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("checksum");
  }

  @Test
  void recordsWrittenBeforeChecksumsAreStillRead() {
    byte[] data = block(200 << 10);
    Oid oid = new Oid(4);
    storage.commit(new Tid(5), META, List.of(Write.data(oid, Bytes.wrap(data))));
    // the layout of databases written before checksums: kind 0, then the data
    rewrite(
        oid,
        5,
        v -> {
          byte[] legacy = new byte[1 + data.length];
          System.arraycopy(data, 0, legacy, 1, data.length);
          return legacy;
        });
    assertThat(storage.loadBefore(oid, new Tid(Long.MAX_VALUE)).orElseThrow().data())
        .isEqualTo(Bytes.wrap(data));
    assertThat(storage.loadSerial(oid, new Tid(5))).isEqualTo(Bytes.wrap(data));
    // a database begun before checksums: read with the store's own checks, new data summed
    storage.close();
    try (RocksKv kv = new RocksKv(dir.resolve("data"))) {
      @SuppressWarnings("ArrayAsKeyOfSetOrMap") // one key, never looked up: the map is a batch
      java.util.Map<byte[], byte[]> delete = new java.util.HashMap<>();
      delete.put(new byte[] {'m', 'f'}, null);
      kv.write(delete, true);
    }
    storage = open();
    assertThat(storage.loadBefore(oid, new Tid(Long.MAX_VALUE)).orElseThrow().data())
        .isEqualTo(Bytes.wrap(data));
    storage.commit(new Tid(7), META, List.of(Write.data(oid, Bytes.utf8("new"))));
    assertThat(storage.loadBefore(oid, new Tid(Long.MAX_VALUE)).orElseThrow().data())
        .isEqualTo(Bytes.utf8("new"));
    assertThat(storage.loadBefore(oid, new Tid(7)).orElseThrow().data())
        .isEqualTo(Bytes.wrap(data));
  }

  @Test
  void aSecondOpenOfTheSameFolderIsRefusedClearly() {
    assertThatThrownBy(() -> KvStorage.rocks(dir.resolve("data")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("cannot open data folder");
  }

  @Test
  void blobsAreKeptInZodbsBushyLayoutWhereZodbsToolsLookForThem() throws Exception {
    // the paths ZODB 6.3's BushyLayout().getBlobFilePath(p64(oid), p64(tid)) gives
    assertThat(BlobFolder.file(Path.of("b"), new Oid(1), 0x03c5e5a9b1d2f566L))
        .isEqualTo(Path.of("b/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x01/0x03c5e5a9b1d2f566.blob"));
    assertThat(BlobFolder.file(Path.of("b"), new Oid(0x1234567890abcdefL), 10))
        .isEqualTo(Path.of("b/0x12/0x34/0x56/0x78/0x90/0xab/0xcd/0xef/0x0a.blob"));
    assertThat(BlobFolder.file(Path.of("b"), Oid.ROOT, 0))
        .isEqualTo(Path.of("b/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x00.blob"));

    Path blobs = dir.resolve("data").resolve("blobs");
    assertThat(Files.readString(blobs.resolve(".layout"))).isEqualTo("bushy");
    Path up = storage.newBlobFile();
    Files.write(up, new byte[] {1, 2, 3});
    Tid tid = new Tid(0x03c5e5a9b1d2f566L);
    storage.commit(tid, META, List.of(Write.blob(new Oid(1), mapping("blob"), up)));
    Path expected =
        blobs.resolve("0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x01/0x03c5e5a9b1d2f566.blob");
    assertThat(storage.blobFile(new Oid(1), tid)).isEqualTo(expected);
    assertThat(Files.readAllBytes(expected)).containsExactly(1, 2, 3);
  }

  @Test
  void anUndoRevisionHasABlobFileOfItsOwnNameWhichPackRemovesWithIt() throws Exception {
    // a client sharing the blob folder reads the file named by the revision it loaded
    Oid o = new Oid(1);
    Path up = storage.newBlobFile();
    Files.write(up, new byte[] {1, 2, 3});
    storage.commit(new Tid(10), META, List.of(Write.blob(o, mapping("blob"), up)));
    Path up2 = storage.newBlobFile();
    Files.write(up2, new byte[] {4});
    storage.commit(new Tid(20), META, List.of(Write.blob(o, mapping("blob"), up2)));
    storage.commit(new Tid(30), META, storage.undo(new Tid(20), Map.of()));
    Path blobs = dir.resolve("data").resolve("blobs");
    Path undone = BlobFolder.file(blobs, o, 30);
    assertThat(undone).hasBinaryContent(new byte[] {1, 2, 3});
    assertThat(Files.isSameFile(undone, BlobFolder.file(blobs, o, 10))).as("a hard link").isTrue();
    // a second undo of the same (a redo) links the file of the revision it goes back to
    storage.commit(new Tid(40), META, storage.undo(new Tid(30), Map.of()));
    assertThat(BlobFolder.file(blobs, o, 40)).hasBinaryContent(new byte[] {4});
    storage.commit(new Tid(50), META, List.of(Write.data(Oid.ROOT, mapping("root", o))));
    storage.pack(new Tid(45), true);
    assertThat(BlobFolder.file(blobs, o, 40)).hasBinaryContent(new byte[] {4});
    assertThat(storage.blobFile(o, new Tid(40))).hasBinaryContent(new byte[] {4});
    for (long gone : new long[] {10, 20, 30}) {
      assertThat(BlobFolder.file(blobs, o, gone)).doesNotExist();
    }
  }

  @Test
  void blobFilesOfTransactionsThatDidNotCommitAreGoneAfterTheNextOpen() throws Exception {
    Path own = dir.resolve("data").resolve("blobs").resolve(BlobFolder.OWN);
    assertThat(Files.getPosixFilePermissions(own))
        .containsExactlyInAnyOrder(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE);
    Path up = storage.newBlobFile();
    Files.write(up, new byte[] {1, 2, 3});
    assertThat(up.getParent()).isEqualTo(own);
    Path kept = storage.newBlobFile();
    Files.write(kept, new byte[] {4});
    storage.commit(new Tid(10), META, List.of(Write.blob(new Oid(1), mapping("blob"), kept)));
    storage.close(); // as a crash between an upload and its commit leaves it
    storage = KvStorage.rocks(dir.resolve("data"));
    assertThat(up).doesNotExist();
    try (var left = Files.list(own)) {
      assertThat(left).isEmpty();
    }
    assertThat(storage.blobFile(new Oid(1), new Tid(10))).hasBinaryContent(new byte[] {4});
  }

  @Test
  void blobsOfTheEarlierLayoutAreMovedIntoTheBushyOneWhenTheStorageOpens() throws Exception {
    Path up = storage.newBlobFile();
    Files.write(up, new byte[] {7, 8});
    Tid tid = new Tid(0x0400000000000005L);
    Oid oid = new Oid(0x2a);
    storage.commit(tid, META, List.of(Write.blob(oid, mapping("blob"), up)));
    storage.close();
    // make the folder as the earlier layout left it: blobs/<oid>/<tid>.blob, no .layout
    Path blobs = dir.resolve("data").resolve("blobs");
    Path old = blobs.resolve(oid.toHex()).resolve(tid.toHex() + ".blob");
    Files.createDirectories(old.getParent());
    Files.move(BlobFolder.file(blobs, oid, tid.value()), old);
    Files.delete(blobs.resolve(".layout"));

    storage = open();
    assertThat(Files.readAllBytes(storage.blobFile(oid, tid))).containsExactly(7, 8);
    assertThat(old.getParent()).doesNotExist();
    assertThat(Files.readString(blobs.resolve(".layout"))).isEqualTo("bushy");
  }

  @Test
  void aBlobFolderOfAnotherLayoutIsRefusedNamingItAndLeavesTheStorageClosed() throws Exception {
    storage.close();
    Path layout = dir.resolve("data").resolve("blobs").resolve(".layout");
    Files.writeString(layout, "lawn\n");
    assertThatThrownBy(this::open)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(layout.getParent().toString())
        .hasMessageContaining("'lawn'")
        .hasMessageContaining("'bushy'");
    Files.writeString(layout, "bushy");
    storage = open(); // RocksDB's lock was given back
    assertThat(storage.lastTransaction()).isEqualTo(Tid.Z64);
  }

  @Test
  void eachCompressionWritesItsFilesAndReadsBackTheSameBytes() throws Exception {
    byte[] data = new byte[1 << 20]; // a sparse block: mostly zeros, a few values
    for (int i = 0; i < data.length; i += 4096) {
      data[i] = (byte) (i >> 12);
    }
    java.util.Map<Compression, Long> blobBytes = new java.util.EnumMap<>(Compression.class);
    for (Compression c : Compression.values()) {
      Path d = dir.resolve("c-" + c);
      try (KvStorage s = KvStorage.rocks(d, c).dedup(false)) { // the record in a blob file
        s.commit(new Tid(5), META, List.of(Write.data(new Oid(1), Bytes.wrap(data))));
      }
      try (KvStorage s = KvStorage.rocks(d, c)) { // writes the recovered log into files
        assertThat(s.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data())
            .isEqualTo(Bytes.wrap(data));
      }
      try (var files = Files.list(d)) {
        blobBytes.put(
            c,
            files
                .filter(f -> f.toString().endsWith(".blob"))
                .mapToLong(f -> f.toFile().length())
                .sum());
      }
      Compression other = c == Compression.NONE ? Compression.ZSTD : Compression.NONE;
      try (KvStorage s = KvStorage.rocks(d, other)) { // another setting: its files still read
        assertThat(s.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data())
            .isEqualTo(Bytes.wrap(data));
      }
    }
    assertThat(blobBytes.get(Compression.NONE)).isGreaterThan(1 << 20);
    assertThat(blobBytes.get(Compression.LZ4)).isLessThan(200 << 10);
    assertThat(blobBytes.get(Compression.ZSTD)).isLessThan(blobBytes.get(Compression.LZ4));
    assertThat(Compression.parse("Zstd")).isEqualTo(Compression.ZSTD);
    assertThatThrownBy(() -> Compression.parse("snappy"))
        .hasMessage("compression: 'snappy' (expected: none, lz4 or zstd)");
  }

  // ---- server-side dedup ----

  /** A ZBlk0 record as wendelin.core writes it: its block's bytes, trailing zeros trimmed. */
  private static Bytes zblk0(byte[] block) {
    int n = block.length;
    while (n > 0 && block[n - 1] == 0) {
      n--;
    }
    return new DataRecord(
            ClassMeta.of(Global.of("wendelin.bigfile.file_zodb.ZBlk0")),
            Bytes.wrap(Arrays.copyOf(block, n)))
        .encodeBytes();
  }

  private static byte[] randomBlock(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private KvStorage kv() {
    return (KvStorage) storage;
  }

  @Test
  void aSmallChangeToABigRecordStoresOneChunkMoreAndBothRevisionsReadBack() {
    kv().dedup(true);
    Random rnd = new Random(7);
    byte[] block = randomBlock(rnd, 2 << 20);
    Bytes first = zblk0(block);
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), first)));
    KvStorage.DedupStats one = kv().dedupStats();
    assertThat(one.logical()).isEqualTo(first.length());
    block[1000] ^= 1; // eight bytes change in one chunk
    block[1001] ^= 1;
    Bytes second = zblk0(block);
    storage.commit(new Tid(6), META, List.of(Write.data(new Oid(1), second)));
    KvStorage.DedupStats two = kv().dedupStats();
    assertThat(two.logical()).isEqualTo(first.length() + second.length());
    // one chunk of 4 KiB more, plus the revision's own head, tail and chunk names
    assertThat(two.stored() - one.stored()).isBetween(4096L, 4096L + 20_000L);
    assertThat(two.ratio()).isGreaterThan(1.9);
    assertThat(storage.loadSerial(new Oid(1), new Tid(5))).isEqualTo(first);
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(second);
    // read into a direct buffer, as replies are
    DirectBuffers buffers = new DirectBuffers(16 << 20);
    DirectBuffers.Lease lease = buffers.lease();
    assertThat(storage.loadBefore(new Oid(1), new Tid(6), lease).orElseThrow().data())
        .isEqualTo(first);
    lease.release();
    // after a restart too
    storage.close();
    storage = open();
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(second);
    assertThat(kv().dedupStats()).isEqualTo(two);
  }

  @Test
  void chunksAreAlignedToTheBlockBytesSoATrimmedLengthChangeShiftsNothing() {
    kv().dedup(true);
    Random rnd = new Random(8);
    byte[] block = randomBlock(rnd, 2 << 20);
    Arrays.fill(block, 1 << 20, 2 << 20, (byte) 0); // the second half zeros: trimmed away
    Bytes first = zblk0(block);
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), first)));
    long before = kv().dedupStats().stored();
    block[(1 << 20) + 70_000] = 9; // a value past the old end: the pickle's length field changes
    Bytes second = zblk0(block);
    assertThat(second.length()).isGreaterThan(first.length());
    storage.commit(new Tid(6), META, List.of(Write.data(new Oid(1), second)));
    // the first MiB's 256 chunks are shared: only the new part's chunks are stored
    long grown = kv().dedupStats().stored() - before;
    assertThat(grown).isLessThan(120_000L);
    assertThat(storage.loadSerial(new Oid(1), new Tid(5))).isEqualTo(first);
    assertThat(storage.loadSerial(new Oid(1), new Tid(6))).isEqualTo(second);
  }

  @Test
  void packFreesTheChunksOnlyRemovedRevisionsUsedAndKeepsTheRest() {
    kv().dedup(true);
    Random rnd = new Random(9);
    byte[] block = randomBlock(rnd, 1 << 20);
    Bytes first = zblk0(block);
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), first)));
    for (int i = 0; i < 64; i++) {
      block[i * 4096 * 4] ^= 1; // 64 of the 256 chunks change
    }
    Bytes second = zblk0(block);
    storage.commit(new Tid(6), META, List.of(Write.data(new Oid(1), second)));
    // another object shares the first revision's chunks: they stay after the pack
    storage.commit(new Tid(7), META, List.of(Write.data(new Oid(2), first)));
    KvStorage.DedupStats full = kv().dedupStats();
    storage.pack(new Tid(7), false);
    KvStorage.DedupStats packed = kv().dedupStats();
    assertThat(packed.logical()).isEqualTo(full.logical() - first.length());
    assertThat(full.stored() - packed.stored()).isLessThan(20_000L); // nothing freed but names
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(second);
    assertThat(storage.loadBefore(new Oid(2), Tid.MAX).orElseThrow().data()).isEqualTo(first);
    // now the first revision's own 64 chunks go with the last object that used them
    storage.commit(new Tid(8), META, List.of(Write.data(new Oid(2), Bytes.utf8("small"))));
    storage.pack(new Tid(8), false);
    KvStorage.DedupStats after = kv().dedupStats();
    assertThat(packed.stored() - after.stored()).isGreaterThanOrEqualTo(64 * 4096L);
    assertThat(after.stored()).isLessThan((long) second.length() + 40_000L);
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(second);
    assertThat(((KvStorage) storage).verify(n -> {}).damaged()).isEmpty();
  }

  @Test
  void aDamagedChunkIsAnErrorNamingOidAndTidAndVerifyFindsIt() {
    kv().dedup(true);
    Random rnd = new Random(10);
    Bytes rec = zblk0(randomBlock(rnd, 256 << 10));
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), rec)));
    storage.close();
    try (RocksKv kv = new RocksKv(dir.resolve("data"))) {
      byte[] chunkKey;
      try (Kv.Cursor c = kv.cursor()) {
        c.seek(new byte[] {'c'});
        chunkKey = c.key();
      }
      byte[] v = kv.get(chunkKey).clone();
      v[100] ^= 4;
      kv.write(java.util.Map.of(chunkKey, v), true);
    }
    storage = open();
    assertThatThrownBy(() -> storage.loadBefore(new Oid(1), Tid.MAX))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("oid " + new Oid(1).toHex())
        .hasMessageContaining("tid " + new Tid(5).toHex())
        .hasMessageContaining("checksum");
    assertThat(kv().verify(n -> {}).damaged())
        .singleElement()
        .satisfies(d -> assertThat(d.oid()).isEqualTo(new Oid(1)));
  }

  @Test
  void withDedupOffNewRecordsAreWholeAndChunkedOnesStillRead() {
    kv().dedup(true);
    Random rnd = new Random(11);
    Bytes rec = zblk0(randomBlock(rnd, 512 << 10));
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), rec)));
    kv().dedup(false);
    storage.commit(new Tid(6), META, List.of(Write.data(new Oid(2), rec)));
    KvStorage.DedupStats s = kv().dedupStats();
    assertThat(s.stored()).isGreaterThan(2L * rec.length() - 4096); // the second one whole
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(rec);
    assertThat(storage.loadBefore(new Oid(2), Tid.MAX).orElseThrow().data()).isEqualTo(rec);
  }

  @Test
  void aCommitThatReusesAChunkWhileThePackSweepsKeepsIt() throws Exception {
    kv().dedup(true);
    Random rnd = new Random(12);
    Bytes a = zblk0(randomBlock(rnd, 256 << 10));
    Bytes b = zblk0(randomBlock(rnd, 256 << 10));
    storage.commit(new Tid(5), META, List.of(Write.data(new Oid(1), a)));
    storage.commit(new Tid(6), META, List.of(Write.data(new Oid(1), b)));
    // the pack removes revision 5, whose chunks nothing else uses when it marks
    java.util.concurrent.CountDownLatch marked = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch committed = new java.util.concurrent.CountDownLatch(1);
    kv().afterMark =
        () -> {
          marked.countDown();
          try {
            committed.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    var pack =
        java.util.concurrent.CompletableFuture.runAsync(() -> storage.pack(new Tid(6), false));
    marked.await();
    // between the mark and the deletes: a commit stores a's bytes again, finding its chunks
    // still stored (so it does not write them)
    storage.commit(new Tid(7), META, List.of(Write.data(new Oid(2), a)));
    committed.countDown();
    pack.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(storage.loadBefore(new Oid(2), Tid.MAX).orElseThrow().data()).isEqualTo(a);
    assertThat(storage.loadBefore(new Oid(1), Tid.MAX).orElseThrow().data()).isEqualTo(b);
    assertThat(kv().verify(n -> {}).damaged()).isEmpty();
    // a later pack with nothing to spare frees nothing a kept revision uses
    kv().afterMark = null;
    storage.commit(new Tid(8), META, List.of(Write.data(new Oid(3), Bytes.utf8("x"))));
    storage.pack(new Tid(8), false);
    assertThat(storage.loadBefore(new Oid(2), Tid.MAX).orElseThrow().data()).isEqualTo(a);
  }
}
