package org.zbig.client.bigfile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.zbig.client.Connection;
import org.zbig.client.Database;
import org.zbig.client.Persistent;
import org.zbig.client.btree.IOBTree;
import org.zbig.client.btree.LOBTree;
import org.zbig.client.virtmem.BigFile;
import org.zbig.client.virtmem.FileHandle;
import org.zbig.client.virtmem.VirtMem;
import org.zbig.client.zeo.ZeoClient;
import org.zbig.zblk.AutoPolicy;
import org.zbig.zblk.ZBlk0Codec;
import org.zbig.zblk.ZBlk1Codec;
import org.zbig.zblk.ZBlkFormat;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.btree.BTreeFamily;
import org.zbig.zodb.btree.BucketState;
import org.zbig.zodb.btree.TreeState;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;
import org.zbig.zodb.storage.LoadResult;

/**
 * {@code wendelin.bigfile.file_zodb.ZBigFile}: a big file of {@code blksize} blocks whose state is
 * {@code (blksize, blktab)}, {@code blktab} an LOBTree from block number to a {@link ZBlk0} or
 * {@link ZBlk1} (docs/formats.md §4.1); a missing block is a hole of zeros. It is virtmem's {@link
 * BigFile}: {@link #open(VirtMem)} gives the page map through which it is read and written.
 *
 * <h2>Loading</h2>
 *
 * {@link #loadBlock} runs on virtmem's loader threads, so it reads records, not objects: through
 * the database's shared record cache, as of the connection's snapshot, with ZData chunks of a ZBlk1
 * requested all at once (in one {@code zbigLoadBeforeTree} call with the block's object and chunk
 * table where the server offers it, else pipelined on the one ZEO connection) and copied straight
 * into the page. A ZBlk0 named so by its block-table reference is loaded with the page as the
 * call's {@link ZeoClient.Sink}: its data goes from the network's receive buffers into the page as
 * it arrives, one copy in all (a record in the cache, or of another form, is copied as before).
 * Each load notes the records it depended on: the blktab nodes on the path to the block, the ZBlk,
 * and for a ZBlk1 its chunk table nodes and ZData.
 *
 * <h2>Invalidation</h2>
 *
 * At a transaction boundary the changed oids are mapped to exactly the changed blocks: a block is
 * invalidated if its ZBlk or one of its chunks changed, or if a blktab node on its path changed and
 * the block now resolves to another ZBlk (a split or a new block moves keys without changing them;
 * a block whose format changed gets a new object; a hole that became a block now resolves). This is
 * where wendelin.core 1 is wrong (its FIXMEs in {@code file_zodb.py}).
 *
 * <h2>Storing</h2>
 *
 * {@link #storeBlock} runs in the connection's thread at commit: the block is written in the format
 * this file writes ({@link ZBlkFormat}; {@code auto} decides per block as wendelin does), a block
 * whose format changes gets a new object, and with ZBlk1 only changed chunks are rewritten. A ZBlk0
 * block is copied once, from its page into its whole record in a reused native buffer ({@link
 * RecordBuffers}), which the socket writes as it is; the buffer comes back when the committed
 * block's object is deactivated after the commit.
 */
public final class ZBigFile extends Persistent implements BigFile {
  private long blksize;
  private LOBTree blktab;
  private ZBlkFormat format; // null: as the environment says when a block is written

  /** Where the environment is read (tests give their own). */
  static Supplier<Map<String, String>> environment = System::getenv;

  private final Set<Long> changedThisTransaction = new HashSet<>();

  /** Blocks from here on read as holes until the transaction ends ({@link #truncate}). */
  private volatile long holesFrom = Long.MAX_VALUE;

  // what each loaded block depended on: blktab nodes on its path, and its content's records
  private record Deps(Set<Oid> path, Oid zblk, Set<Oid> content) {}

  private final Map<Long, Deps> blockDeps = new ConcurrentHashMap<>();
  // the blocks each of those records is a dependency of, in increasing order (one, for most)
  private final Map<Oid, long[]> oidBlocks = new ConcurrentHashMap<>();
  private FileHandle handle;
  private RecordBuffers recordBuffers; // for the ZBlk0 records this file writes, on first use

  /** The buffers of the ZBlk0 records this file writes, or null before the first. */
  RecordBuffers recordBuffers() {
    return recordBuffers;
  }

  /** Writes ZBlk0 records through {@code buffers} instead of the shared ones (for tests). */
  void useRecordBuffers(RecordBuffers buffers) {
    recordBuffers = buffers;
  }

  /** For the class registry: an empty ghost's state comes from the database. */
  public ZBigFile() {}

  /**
   * A new empty file.
   *
   * @param blksize the block size; 2 MiB for files Python wendelin.core also opens
   */
  public ZBigFile(long blksize) {
    if (blksize < 4096 || Long.bitCount(blksize) != 1) {
      throw new IllegalArgumentException(
          "block size: " + blksize + " (expected: a power of two >= 4096)");
    }
    this.blksize = blksize;
    this.blktab = new LOBTree();
  }

  /**
   * Sets the format blocks are written in by this object. Without it, {@code
   * WENDELIN_CORE_ZBLK_FMT} decides when a block is written; a bad value fails that write, naming
   * the value, and never a reader.
   */
  public void setFormat(ZBlkFormat format) {
    this.format = format;
  }

  /** The block table. */
  public LOBTree blktab() {
    readAccess();
    return blktab;
  }

  @Override
  public long blockSize() {
    readAccess();
    return blksize;
  }

  /**
   * Opens the file for paging in {@code vm} and makes it take part in this object's connection's
   * transactions (writeout at commit, discard at abort, invalidation at boundaries).
   *
   * @throws IllegalStateException if the file was not committed yet
   */
  public FileHandle open(VirtMem vm) {
    if (connection() != null) {
      readAccess();
    }
    Connection c = connection();
    if (c == null || serial() == null || blktab().oid() == null) {
      throw new IllegalStateException("commit the ZBigFile before opening it");
    }
    if (handle != null) {
      if (handle.virtMem() != vm) {
        throw new IllegalArgumentException(
            "ZBigFile "
                + oid()
                + " is open in another VirtMem (expected: the one it was first opened in; open"
                + " the file of another Connection to use another VirtMem)");
      }
      return handle;
    }
    handle = vm.open(this);
    c.register(new Sync(handle));
    return handle;
  }

  // --- loading, by records --------------------------------------------------------------------

  private static final BTreeFamily LO = BTreeFamily.LO;
  private static final BTreeFamily IO = BTreeFamily.IO;

  /** Records as of one snapshot; thread-safe. */
  private record Snapshot(Database db, Tid at) {
    DataRecord load(Oid oid) {
      return decode(oid, db.loadRecord(oid, at));
    }

    DataRecord decode(Oid oid, LoadResult loaded) {
      try {
        return DataRecord.decode(loaded.data());
      } catch (RuntimeException e) {
        if (e instanceof StorageException s) {
          throw s;
        }
        throw new CorruptRecordException(oid, at, "unreadable record: " + e.getMessage(), e);
      }
    }
  }

  private Snapshot snapshot() {
    Connection c = connection();
    return new Snapshot(c.database(), c.snapshot());
  }

  private static Oid oidOf(Object ref, String what) {
    if (ref instanceof Reference r) {
      return r.oid();
    }
    throw new CorruptRecordException(
        null, null, what + ": " + ref + " (expected: a reference)", null);
  }

  /** The ZBlk reference of {@code blk} (null for a hole), noting the blktab nodes passed. */
  private static Object lookup(Snapshot s, Oid tree, long blk, Set<Oid> path) {
    Oid node = tree;
    for (; ; ) {
      path.add(node);
      DataRecord r = s.load(node);
      String cls = r.classMeta().type().dotted();
      if (cls.endsWith("Bucket")) {
        return find(BucketState.decode(r.state(), LO, false), blk);
      }
      TreeState t = TreeState.decode(r.state(), LO, false);
      switch (t) {
        case TreeState.Empty e -> {
          return null;
        }
        case TreeState.Inline in -> {
          return find(in.bucket(), blk);
        }
        case TreeState.Children c -> {
          int i = 0;
          while (i < c.separators().size() && ((Long) c.separators().get(i)) <= blk) {
            i++;
          }
          node = oidOf(c.children().get(i), "blktab child");
        }
      }
    }
  }

  private static Object find(BucketState b, long key) {
    int i = Collections.binarySearch(b.keys(), key, LO.keyComparator());
    return i >= 0 ? b.values().get(i) : null;
  }

  /**
   * The items of an IOBTree (a ZBlk1 chunk table) as of {@code s}, noting every node read. The tree
   * is read a level at a time, the nodes of a level loaded at once (pipelined), instead of
   * following the buckets' next pointers one round trip after another.
   */
  private static Items items(Snapshot s, Oid tree, Set<Oid> nodes, Map<Oid, LoadResult> loaded) {
    Items out = new Items();
    nodes.add(tree);
    LoadResult root = loaded.get(tree);
    DataRecord r = root != null ? s.decode(tree, root) : s.load(tree);
    List<Object> level;
    switch (TreeState.decode(r.state(), IO, false)) {
      case TreeState.Empty e -> {
        return out;
      }
      case TreeState.Inline in -> {
        out.add(in.bucket());
        return out.sorted();
      }
      case TreeState.Children c -> level = c.children();
    }
    while (!level.isEmpty()) {
      List<Oid> oids = new ArrayList<>();
      for (Object ref : level) {
        oids.add(oidOf(ref, "chunktab child"));
      }
      nodes.addAll(oids);
      List<CompletableFuture<LoadResult>> loads = loads(s, oids, loaded);
      List<Object> next = new ArrayList<>();
      for (int i = 0; i < oids.size(); i++) {
        DataRecord node = s.decode(oids.get(i), join(loads.get(i)));
        if (node.classMeta().type().dotted().endsWith("Bucket")) {
          out.add(BucketState.decode(node.state(), IO, false));
        } else if (TreeState.decode(node.state(), IO, false) instanceof TreeState.Children c) {
          next.addAll(c.children());
        } else {
          throw new CorruptRecordException(
              oids.get(i), s.at(), "an inner chunktab node without children", null);
        }
      }
      level = next;
    }
    return out.sorted();
  }

  /**
   * A chunk table's items: key {@code keys[i]} refers to {@code refs[i]}, for {@code i < size}, in
   * increasing key order once {@link #sorted}. Arrays rather than a map: a tree's buckets come in
   * key order, and putting a block's 512 items into a tree map and walking it again cost a ZBlk1
   * read more than copying its 2 MiB.
   */
  static final class Items {
    int[] keys = new int[64];
    Object[] refs = new Object[64];
    int size;
    private boolean increasing = true;

    void add(BucketState b) {
      int n = b.keys().size();
      if (size + n > keys.length) {
        int to = Math.max(size + n, 2 * keys.length);
        keys = Arrays.copyOf(keys, to);
        refs = Arrays.copyOf(refs, to);
      }
      for (int i = 0; i < n; i++) {
        int key = ((Long) b.keys().get(i)).intValue();
        increasing &= size == 0 || key > keys[size - 1];
        keys[size] = key;
        refs[size++] = b.values().get(i);
      }
    }

    /**
     * These items in increasing key order, the last of equal keys kept: as they are, unless a
     * damaged tree gave them otherwise.
     */
    Items sorted() {
      if (increasing) {
        return this;
      }
      SortedMap<Integer, Object> byKey = new TreeMap<>();
      for (int i = 0; i < size; i++) {
        byKey.put(keys[i], refs[i]);
      }
      size = 0;
      for (Map.Entry<Integer, Object> e : byKey.entrySet()) {
        keys[size] = e.getKey();
        refs[size++] = e.getValue();
      }
      increasing = true;
      return this;
    }
  }

  /**
   * The records of {@code oids} as of {@code s}, in order: those in {@code loaded} at once, the
   * others loaded together.
   */
  private static List<CompletableFuture<LoadResult>> loads(
      Snapshot s, List<Oid> oids, Map<Oid, LoadResult> loaded) {
    if (loaded.isEmpty()) {
      return s.db().loadRecordsAsync(oids, s.at());
    }
    List<CompletableFuture<LoadResult>> out = new ArrayList<>(oids.size());
    List<Oid> missing = new ArrayList<>();
    for (Oid oid : oids) {
      LoadResult r = loaded.get(oid);
      out.add(r != null ? CompletableFuture.completedFuture(r) : null);
      if (r == null) {
        missing.add(oid);
      }
    }
    if (!missing.isEmpty()) {
      List<CompletableFuture<LoadResult>> rest = s.db().loadRecordsAsync(missing, s.at());
      for (int i = 0, k = 0; i < out.size(); i++) {
        if (out.get(i) == null) {
          out.set(i, rest.get(k++));
        }
      }
    }
    return out;
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException x ? x : e;
    }
  }

  /**
   * Loads block {@code blk} as of the connection's snapshot. A load that began before a transaction
   * boundary must not publish the older state as current (wendelin.core's {@code
   * PAGE_LOADING_INVALIDATED}): the dependencies are noted under {@link #depsLock} only if the
   * snapshot the load read is still the connection's; otherwise the block is read again at the new
   * one. The boundary moves the snapshot before it maps changed oids to blocks under the same lock,
   * so either the load sees the new snapshot and reads again, or the boundary sees the load's
   * dependencies and invalidates the page.
   */
  @Override
  public void loadBlock(long blk, MemorySegment page) {
    load(blk, page, false);
  }

  /** As {@link #loadBlock}, writing every byte: only the bytes past a ZBlk0's data are zeroed. */
  @Override
  public void loadBlockOver(long blk, MemorySegment page) {
    load(blk, page, true);
  }

  /** Loads a block into {@code page}, which holds left-over bytes if {@code over}. */
  private void load(long blk, MemorySegment page, boolean over) {
    if (blk >= holesFrom) {
      if (over) {
        page.fill((byte) 0);
      }
      return; // dropped by this transaction: zeros (the snapshot still has the old data)
    }
    for (boolean first = true; ; first = false) {
      Snapshot s = snapshot();
      // a second read goes over the first one's bytes (a block that became a hole shows zeros)
      Deps deps = read(s, blk, page, over || !first);
      afterRead.accept(blk);
      synchronized (depsLock) {
        if (s.at().equals(connection().snapshot())) {
          noteDeps(blk, deps);
          return;
        }
      }
    }
  }

  /** Orders {@link #loadBlock}'s noting of dependencies with the boundary's use of them. */
  private final Object depsLock = new Object();

  /** Runs after a load read its records, before it notes them (tests hold loads here). */
  static LongConsumer afterRead = blk -> {};

  /** Runs when a block's data came straight into its page, with the block (tests count them). */
  static LongConsumer intoPage = blk -> {};

  private static final String ZBLK1 = "wendelin.bigfile.file_zodb.ZBlk1";
  private static final String ZBLK0 = "wendelin.bigfile.file_zodb.ZBlk0";

  /** How a ZBlk0 record whose data may come straight into the page starts. */
  private static final byte[] ZBLK0_RECORD_PREFIX = ZBlk0Codec.recordPrefix();

  /**
   * Reads block {@code zblk}'s content into {@code page} and notes the records it depends on into
   * {@code deps} (without loading its data when {@code page} is null), taking the records {@code
   * tree} holds from it instead of loading them.
   */
  private void loadZBlk(
      Snapshot s,
      Oid zblk,
      MemorySegment page,
      boolean over,
      Set<Oid> deps,
      Map<Oid, LoadResult> tree,
      long inPage) {
    LoadResult loaded = tree.get(zblk);
    DataRecord r = loaded != null ? s.decode(zblk, loaded) : s.load(zblk);
    Global cls = r.classMeta().type();
    switch (cls.dotted()) {
      case ZBLK0, "wendelin.bigfile.file_zodb.ZBlk" -> {
        if (!(r.state() instanceof Bytes b)) {
          throw new CorruptRecordException(zblk, s.at(), "ZBlk0 state is not bytes", null);
        }
        if (page != null) {
          long n = b.length();
          if (inPage >= 0) {
            // its data already in the page, put there by the reply (its record's state is empty)
            if (n != 0) {
              throw new CorruptRecordException(
                  zblk, s.at(), "ZBlk0 data both in the page and its record", null);
            }
            n = inPage;
          } else {
            ZBlk0Codec.decode(b, page);
          }
          if (over) {
            page.asSlice(n).fill((byte) 0); // the trimmed trailing zeros
          }
        }
      }
      case ZBLK1 -> {
        Oid chunktab = oidOf(r.state(), "ZBlk1 chunktab");
        if (page != null && tree.isEmpty()) {
          // a reference without its class: the chunk table and chunks in one round trip
          tree = join(s.db().loadTreeAsync(chunktab, s.at(), 2));
        }
        Items chunkRefs = items(s, chunktab, deps, tree);
        // all chunks at once: those the tree brought, the others pipelined in one batch
        List<Oid> oids = new ArrayList<>(chunkRefs.size);
        for (int i = 0; i < chunkRefs.size; i++) {
          oids.add(oidOf(chunkRefs.refs[i], "chunktab value"));
        }
        deps.addAll(oids);
        if (page == null) {
          return;
        }
        List<CompletableFuture<LoadResult>> records = loads(s, oids, tree);
        Bytes[] chunks = new Bytes[oids.size()];
        for (int i = 0; i < chunks.length; i++) {
          chunks[i] = chunkData(oids.get(i), join(records.get(i)));
        }
        try {
          ZBlk1Codec.decode(chunkRefs.keys, chunks, chunks.length, page, over);
        } catch (IllegalArgumentException bad) {
          throw new CorruptRecordException(zblk, s.at(), bad.getMessage(), bad);
        }
      }
      default ->
          throw new CorruptRecordException(
              zblk,
              s.at(),
              "blktab value of class " + cls.dotted() + " (expected: ZBlk0 or ZBlk1)",
              null);
    }
  }

  /** The data of ZData chunk {@code z}'s record. */
  private static Bytes chunkData(Oid z, LoadResult lr) {
    Bytes b = ZBlk1Codec.zdataBytes(lr.data()); // the common form, read fast
    if (b != null) {
      return b;
    }
    Object st = DataRecord.decode(lr.data()).state();
    if (!(st instanceof Bytes any)) {
      throw new CorruptRecordException(z, lr.start(), "ZData state is not bytes", null);
    }
    return any;
  }

  /**
   * Notes that block {@code blk} now depends on {@code deps}. Only the difference from what it
   * depended on is written: a block read again usually depends on the same 500 records (a ZBlk1's
   * chunks), and an oid never loses its block for a moment on the way.
   */
  private void noteDeps(long blk, Deps deps) {
    Deps old = blockDeps.put(blk, deps);
    if (old != null) {
      for (Set<Oid> was : List.of(old.path(), old.content())) {
        for (Oid o : was) {
          if (!deps.path().contains(o) && !deps.content().contains(o)) {
            oidBlocks.computeIfPresent(o, (k, bs) -> without(bs, blk));
          }
        }
      }
    }
    for (Set<Oid> now : List.of(deps.path(), deps.content())) {
      for (Oid o : now) {
        if (old == null || !old.path().contains(o) && !old.content().contains(o)) {
          oidBlocks.merge(o, new long[] {blk}, (bs, one) -> with(bs, blk));
        }
      }
    }
  }

  /**
   * {@code blocks} (increasing) with {@code blk}: a new array, as the arrays in {@link #oidBlocks}
   * are shared once there.
   */
  static long[] with(long[] blocks, long blk) {
    int i = Arrays.binarySearch(blocks, blk);
    if (i >= 0) {
      return blocks;
    }
    int at = -i - 1;
    long[] out = new long[blocks.length + 1];
    System.arraycopy(blocks, 0, out, 0, at);
    out[at] = blk;
    System.arraycopy(blocks, at, out, at + 1, blocks.length - at);
    return out;
  }

  /** {@code blocks} (increasing) without {@code blk}; null (no mapping) when none is left. */
  static long[] without(long[] blocks, long blk) {
    int i = Arrays.binarySearch(blocks, blk);
    if (i < 0) {
      return blocks;
    }
    if (blocks.length == 1) {
      return null;
    }
    long[] out = new long[blocks.length - 1];
    System.arraycopy(blocks, 0, out, 0, i);
    System.arraycopy(blocks, i + 1, out, i, out.length - i);
    return out;
  }

  /**
   * The blocks that changed among those loaded, given the oids that changed: a changed ZBlk, chunk
   * table node or chunk changes its block; a changed blktab node changes the blocks below it that
   * now resolve to another ZBlk (or none, or one where there was a hole).
   */
  Set<Long> changedBlocks(Set<Oid> oids) {
    Set<Long> candidates = new HashSet<>();
    for (Oid o : oids) {
      long[] bs = oidBlocks.get(o);
      if (bs != null) {
        for (long b : bs) {
          candidates.add(b);
        }
      }
    }
    Set<Long> changed = new HashSet<>();
    Snapshot s = snapshot();
    for (long blk : candidates) {
      Deps d = blockDeps.get(blk);
      if (d == null) {
        continue;
      }
      boolean contentChanged = d.content().stream().anyMatch(oids::contains);
      if (!contentChanged) {
        Set<Oid> path = new HashSet<>();
        Object ref = lookup(s, blktab().oid(), blk, path);
        Oid now = ref == null ? null : oidOf(ref, "blktab value");
        if (Objects.equals(now, d.zblk())) {
          noteDeps(blk, new Deps(path, d.zblk(), d.content())); // same block, new path
        } else {
          contentChanged = true;
        }
      }
      if (contentChanged) {
        changed.add(blk);
        blockDeps.remove(blk);
      }
    }
    return changed;
  }

  /** Notes, after a commit of ours, what block {@code blk} now depends on. */
  private void renote(long blk) {
    Snapshot s = snapshot();
    if (blktab().get(blk) instanceof ZBlk0 written && written.oid() != null) {
      // a ZBlk0 this connection just stored: its record is the one the snapshot shows, and it
      // depends on nothing else; only the blktab path is read (reading the ZBlk0 record back to
      // learn its class had loaded every block of an import a second time)
      Set<Oid> path = new HashSet<>();
      Object ref = lookup(s, blktab().oid(), blk, path);
      if (ref != null && written.oid().equals(oidOf(ref, "blktab value"))) {
        noteDeps(blk, new Deps(path, written.oid(), Set.of(written.oid())));
        return;
      }
    }
    noteDeps(blk, read(s, blk, null, false));
  }

  /**
   * Block {@code blk} as of {@code s}: its content into {@code page} (none when null) and the
   * records it depends on.
   */
  private Deps read(Snapshot s, long blk, MemorySegment page, boolean over) {
    Set<Oid> path = new HashSet<>();
    Object ref = lookup(s, blktab().oid(), blk, path);
    Oid zblk = ref == null ? null : oidOf(ref, "blktab value");
    Set<Oid> content = new HashSet<>();
    if (zblk != null) {
      content.add(zblk);
      // a ZBlk1 named so by its reference: the block's object, its chunk table's root and
      // buckets, and its chunks in one round trip where the server offers it, instead of one per
      // level (a deeper table's last levels load as they would)
      Map<Oid, LoadResult> tree =
          page != null && ref instanceof Reference.OidClass oc && ZBLK1.equals(oc.className())
              ? join(s.db().loadTreeAsync(zblk, s.at(), 3))
              : Map.of();
      long inPage = -1;
      if (page != null && ref instanceof Reference.OidClass oc && ZBLK0.equals(oc.className())) {
        // a ZBlk0 named so by its reference: its data may come straight into the page, copied
        // once from the network's receive buffers instead of into the reply and then here
        ZeoClient.Sink sink = new ZeoClient.Sink(page, ZBLK0_RECORD_PREFIX);
        tree = Map.of(zblk, join(s.db().loadRecordIntoAsync(zblk, s.at(), sink)));
        inPage = sink.filled();
        if (inPage >= 0) {
          intoPage.accept(blk);
        }
      }
      loadZBlk(s, zblk, page, over, content, tree, inPage);
    } else if (page != null && over) {
      page.fill((byte) 0); // a hole
    }
    return new Deps(path, zblk, content);
  }

  // --- shrinking --------------------------------------------------------------------------------

  /**
   * Keeps the first {@code nbytes} bytes and drops the rest, as wendelin.core's "remove stale data"
   * does: the blocks past the end leave the block table in this transaction (their objects become
   * garbage that pack collects), and the bytes past {@code nbytes} in the last block kept become
   * zeros, so that growing the file again shows zeros, never old data. Pages of the dropped blocks
   * are forgotten, changed or not.
   *
   * @throws IllegalArgumentException if {@code nbytes} is negative
   * @throws IllegalStateException if a view shows a block past the end (nothing changes then)
   */
  public void truncate(long nbytes) {
    if (nbytes < 0) {
      throw new IllegalArgumentException("size: " + nbytes + " (expected: >= 0)");
    }
    readAccess();
    long keep = nbytes / blksize + (nbytes % blksize == 0 ? 0 : 1); // blocks [0, keep) stay
    int tail = (int) (nbytes % blksize);
    long before = holesFrom;
    if (keep < holesFrom) {
      holesFrom = keep; // before the pages go: a page loaded again from now on is a hole
    }
    if (handle != null) {
      try {
        handle.truncate(keep); // refuses while a view shows a block past the end
      } catch (RuntimeException e) {
        holesFrom = before;
        throw e;
      }
    }
    List<Object> gone = new ArrayList<>();
    for (var e : blktab.items(keep, null)) {
      gone.add(e.getKey());
    }
    for (Object k : gone) {
      blktab.remove(k);
    }
    if (tail > 0 && blktab.get(keep - 1) != null) {
      if (handle != null) {
        // through the page, so that the page and the stored block agree; stored at commit
        try (var m = handle.map(keep - 1, 1, true)) {
          m.segment().asSlice(tail).fill((byte) 0);
        }
      } else {
        Object existing = blktab.get(keep - 1);
        Bytes data = currentData(existing);
        if (data.length() > tail) {
          try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(blksize);
            ZBlk0Codec.decode(data, page);
            page.asSlice(tail).fill((byte) 0);
            write(
                keep - 1,
                page,
                existing instanceof ZBlk1 ? ZBlkFormat.ZBLK1 : ZBlkFormat.ZBLK0,
                existing);
            changedThisTransaction.add(keep - 1);
          }
        }
      }
    }
  }

  /** Drops all the data: {@code truncate(0)}, as wendelin.core's {@code discard_data()}. */
  public void discardData() {
    truncate(0);
  }

  // --- storing, by objects --------------------------------------------------------------------

  @Override
  public void storeBlock(long blk, MemorySegment page) {
    readAccess();
    Object existing = blktab.get(blk);
    ZBlkFormat chosen = format != null ? format : ZBlkFormat.fromEnvironment(environment.get());
    ZBlkFormat target = chosen;
    boolean migratePrevious = false;
    if (chosen == ZBlkFormat.AUTO) {
      Bytes old = currentData(existing);
      long last = blktab.isEmpty() ? -1 : (Long) blktab.maxKey();
      Object prev = blk > 0 ? blktab.get(blk - 1) : null;
      boolean prevChangedNotZBlk0 =
          prev != null && changedThisTransaction.contains(blk - 1) && !(prev instanceof ZBlk0);
      AutoPolicy.Decision d = AutoPolicy.decide(blk, page, old, last, prevChangedNotZBlk0);
      target = d.format();
      migratePrevious = d.migratePrevious();
    }
    if (migratePrevious) {
      Bytes prevData = currentData(blktab.get(blk - 1));
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment prevPage = arena.allocate(blksize);
        ZBlk0Codec.decode(prevData, prevPage);
        write(blk - 1, prevPage, ZBlkFormat.ZBLK0, blktab.get(blk - 1));
      }
    }
    write(blk, page, target, existing);
    changedThisTransaction.add(blk);
  }

  /** The block's stored data without trailing zeros ({@code b''} for a hole). */
  private Bytes currentData(Object zblk) {
    return switch (zblk) {
      case null -> Bytes.EMPTY;
      case ZBlk0 z -> z.data();
      case ZBlk1 z -> {
        SortedMap<Integer, Bytes> chunks = new TreeMap<>();
        for (var e : z.chunktab().items()) {
          chunks.put(((Long) e.getKey()).intValue(), ((ZData) e.getValue()).data());
        }
        try (Arena arena = Arena.ofConfined()) {
          MemorySegment p = arena.allocate(blksize);
          ZBlk1Codec.decode(chunks, p);
          yield Bytes.wrap(ZBlk0Codec.encode(p).toByteArray());
        }
      }
      default ->
          throw new IllegalStateException("blktab value " + zblk + " (expected: ZBlk0 or ZBlk1)");
    };
  }

  private void write(long blk, MemorySegment page, ZBlkFormat target, Object existing) {
    if (target == ZBlkFormat.ZBLK0) {
      ZBlk0 z = existing instanceof ZBlk0 z0 ? z0 : null;
      if (z == null) { // a block whose format changes gets a new object
        z = new ZBlk0();
        blktab.put(blk, z);
      }
      if (recordBuffers == null) {
        recordBuffers = RecordBuffers.shared(blksize);
      }
      z.setBlock(page, recordBuffers);
      return;
    }
    ZBlk1 z = existing instanceof ZBlk1 z1 ? z1 : null;
    if (z == null) {
      z = new ZBlk1();
      blktab.put(blk, z);
    }
    IOBTree chunktab = z.chunktab();
    SortedMap<Integer, Bytes> chunks = ZBlk1Codec.encode(page);
    Map<Integer, Bytes> have = new HashMap<>();
    for (var e : chunktab.items()) {
      have.put(((Long) e.getKey()).intValue(), ((ZData) e.getValue()).data());
    }
    if (ZBlk1Codec.needsRechunk(have)) {
      for (Object k : chunktab.keys()) {
        chunktab.remove(k);
      }
      have.clear();
    }
    for (long off = 0; off < blksize; off += ZBlk1Codec.CHUNK) {
      int o = (int) off;
      Bytes want = chunks.get(o);
      ZData cur = (ZData) chunktab.get((long) o);
      if (want == null) {
        if (cur != null) {
          chunktab.remove((long) o);
        }
      } else if (cur == null) {
        chunktab.put((long) o, new ZData(Bytes.wrap(want.toByteArray())));
      } else if (!cur.data().equals(want)) {
        cur.setData(Bytes.wrap(want.toByteArray())); // only changed chunks are rewritten
      }
    }
    z.touch();
  }

  // --- the persistent state -------------------------------------------------------------------

  @Override
  protected Object getState() {
    return Tuple.of(blksize, blktab);
  }

  @Override
  protected void setState(Object state) {
    if (!(state instanceof Tuple t)
        || t.size() != 2
        || !(t.get(0) instanceof Long bs)
        || !(t.get(1) instanceof LOBTree tab)) {
      throw new CorruptRecordException(
          oid(), serial(), "ZBigFile state: " + state + " (expected: (blksize, LOBTree))", null);
    }
    blksize = bs;
    blktab = tab;
  }

  @Override
  protected void clearState() {
    // the block table is kept: a ZBigFile stays loaded like wendelin's LivePersistent
  }

  /**
   * Drops the data a stored block's objects hold (a ZBlk0's record buffer goes back for reuse): the
   * pages have it, the database too.
   */
  private static void release(Object zblk) {
    switch (zblk) {
      case ZBlk0 z -> z.deactivate();
      case ZBlk1 z -> {
        for (var e : z.chunktab().items()) {
          ((ZData) e.getValue()).deactivate();
        }
      }
      case null, default -> {}
    }
  }

  /** The connection hook: writeout, discard, and mapping changed oids to changed blocks. */
  private final class Sync extends Connection.FileSynchronizer {
    Sync(FileHandle file) {
      super(file);
    }

    @Override
    public void afterCompletion(Connection c, boolean committed) {
      super.afterCompletion(c, committed);
      changedThisTransaction.clear();
      long from = holesFrom;
      if (from != Long.MAX_VALUE) {
        holesFrom = Long.MAX_VALUE;
        // pages read as holes during the transaction: after an abort the old data is back; after
        // a commit they load again as of the new snapshot, noting what they depend on
        List<Long> stale = new ArrayList<>();
        for (long blk : file.pageTable().keySet()) {
          if (blk >= from) {
            stale.add(blk);
          }
        }
        file.invalidate(stale);
      }
    }

    @Override
    public void invalidated(Connection c, Set<Oid> oids) {
      List<Long> stored = takeStored();
      Set<Long> blocks = new HashSet<>();
      synchronized (depsLock) { // see loadBlock: the snapshot has moved already
        if (oids == null) {
          blocks.addAll(blockDeps.keySet()); // anything may have changed
          blockDeps.clear();
          oidBlocks.clear();
        } else if (!oids.isEmpty()) {
          blocks.addAll(changedBlocks(oids));
        }
      }
      for (long blk : stored) {
        renote(blk); // blocks this connection wrote: their records are new
        release(blktab().get(blk));
      }
      if (!blocks.isEmpty()) {
        file.invalidate(blocks);
      }
    }
  }
}
