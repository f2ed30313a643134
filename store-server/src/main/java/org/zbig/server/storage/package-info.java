/**
 * The storages a server serves: MVCC history of object revisions and transactions behind one
 * contract, {@link org.zbig.server.storage.Storage}. A storage makes a transaction durable and
 * visible at once ({@code commit}, or {@code commitAll} for a group sharing one synced write) and
 * answers reads at any snapshot; commit ordering, object locks and conflict checks belong to the
 * server's committer, not here (docs/protocol.md §5.3).
 *
 * <p>Two implementations:
 *
 * <ul>
 *   <li>{@link org.zbig.server.storage.KvStorage} over an ordered key-value store ({@link
 *       org.zbig.server.storage.Kv}): {@link org.zbig.server.storage.RocksKv} on disk (the
 *       default), {@link org.zbig.server.storage.MemoryKv} in memory. Revisions under {@code 'r' ‖
 *       oid ‖ tid}, transaction records under {@code 't' ‖ tid}, counters under {@code 'm'} keys
 *       (among them the durable high-water mark of new oids, written a block ahead so that few
 *       {@code new_oids} calls write, under a lock of its own, never behind a commit's write); big
 *       values in RocksDB's blob files, each revision carrying its own CRC-32C, rewritten only by a
 *       pack that deleted something ({@code Kv.reclaim}: RocksDB's blob garbage collection is off
 *       between packs, since it copies the oldest blob files at every compaction; a reclaim that a
 *       close stopped leaves its {@code 'm'} mark, and the next open runs it in the background);
 *       with dedup on, records of 8 KiB and more cut into content-addressed chunks ({@link
 *       org.zbig.server.storage.Chunks}, docs/dedup.md). Blob files in ZODB's bushy layout ({@link
 *       org.zbig.server.storage.BlobFolder}), a file per revision (one that reuses an older
 *       revision's blob, an undo's, gets a hard link), so that clients sharing the folder ({@code
 *       shared_blob_dir=True}) read them where ZODB's blob storages keep them. A load of the
 *       current revision is a reverse seek, and the revision it finds is remembered for a point
 *       lookup by the next load of that oid, until the next write or visible commit; RocksDB's
 *       iterators are kept per thread between loads. The current serials of objects recently
 *       written or checked are kept in a fixed table ({@link org.zbig.server.storage.SerialCache}),
 *       so that votes and group writes need no seek for them; it is updated by commits and cleared
 *       by pack. An oid above the highest stored is new without a seek (which would read and
 *       decompress a neighbour's blob value). Big writes reuse one RocksDB write batch, whose
 *       memory then stays warm.
 *   <li>{@link org.zbig.server.storage.PostgresStorage} in a PostgreSQL schema shared by several
 *       servers: its tables ({@link org.zbig.server.storage.PostgresRows}), undo and pack in SQL
 *       ({@link org.zbig.server.storage.PostgresHistory}), blobs in rows with a local file cache
 *       ({@link org.zbig.server.storage.PostgresBlobs}), other servers' commits heard through
 *       {@code LISTEN} ({@link org.zbig.server.storage.PostgresListener}), and recent current
 *       revisions kept in memory ({@link org.zbig.server.storage.CurrentRecords}); new oids from
 *       blocks each server reserves in the shared oid mark, one round trip per block. How the
 *       servers share one database: docs/postgres.md.
 * </ul>
 *
 * <p>What both share: the rules of pack ({@link org.zbig.server.storage.PackPlan}), the writes of a
 * transaction ({@link org.zbig.server.storage.Write}, {@link org.zbig.server.storage.TxnMeta}), and
 * the import of a FileStorage file ({@link org.zbig.server.storage.FileStorageImport},
 * docs/formats.md §6). Big records travel from RocksDB to the socket through reusable direct
 * buffers ({@link org.zbig.server.storage.DirectBuffers}).
 */
package org.zbig.server.storage;
