/**
 * The storage server: a ZEO-compatible server that unmodified Python ZODB clients use, keeping MVCC
 * history in RocksDB.
 *
 * <h2>What it connects</h2>
 *
 * Python {@code ZEO.ClientStorage} and the zbig Java client on one side (through the wire module's
 * messages on Netty channels), a {@code Storage} (RocksDB by default, in memory for tests, or
 * PostgreSQL shared by several servers) on the other. Spec: {@code docs/protocol.md} sections 3 to
 * 6.
 *
 * <h2>API for clients, and where each part lives</h2>
 *
 * <ul>
 *   <li>This package: {@link org.zbig.server.ZeoServer} (start, stop, the storages it serves) and
 *       its configuration ({@link org.zbig.server.ServerConfig}, {@link
 *       org.zbig.server.StorageSpec}, {@link org.zbig.server.Limits}, {@link org.zbig.server.Tls}).
 *       The sub-packages below are the server's own and, but for {@code storage} and {@code http},
 *       not exported.
 *   <li>{@link org.zbig.server.cli}: {@code bin/zbig-server}, the command line that serves a data
 *       folder, and its admin commands.
 *   <li>{@link org.zbig.server.storage}: the storage contract ({@code loadBefore}, {@code history},
 *       two-phase commit, iteration, pack, undo) and its implementations, {@code KvStorage}
 *       (RocksDB, memory) and {@code PostgresStorage}; knows nothing of the wire.
 *   <li>{@code org.zbig.server.commit}: the commit path without channels. {@code Committer} votes
 *       under object locks and writes finishes in groups sharing one synced write (group commit);
 *       {@code ServedStorage} is one served storage: its subscribers, invalidation queue, counters
 *       and, on PostgreSQL, the commit lease; {@code Txn} is a connection's open transaction.
 *       Unit-tested without sockets.
 *   <li>{@code org.zbig.server.net}: {@code ConnectionHandler} dispatches a connection's {@code
 *       Message}s to {@code Storage} calls and to the {@code Committer}, and owns flow control;
 *       beside it, per connection, the open iterators ({@code Iterators}), the blob being uploaded
 *       ({@code BlobUpload}), blob downloads ({@code BlobDownload}) and the undo log queries
 *       ({@code UndoLogs}).
 *   <li>{@link org.zbig.server.http}: the status page, health check and metrics over HTTP, and the
 *       {@code StatusPage} extension point the console plugs into.
 * </ul>
 *
 * <h2>States and lifecycle</h2>
 *
 * Per connection: handshake, registered, in a transaction (begun, voted, finished or aborted). A
 * vote takes the locks of the objects its transaction writes or checks (all at once, or it waits);
 * a vote that returns conflicts keeps them until the re-vote. {@code tpc_finish} queues the
 * transaction; the queue is written in groups, each with one synced write, tids assigned in queue
 * order, strictly increasing across restarts; invalidations go to every other registered connection
 * in tid order, before the finish replies.
 *
 * <h2>Concurrency</h2>
 *
 * One Netty event loop per connection ({@code zbig-io-*} threads). A connection's storage reads run
 * on its event loop, in request order, so an invalidation (queued to that loop after its commit is
 * published) never overtakes a load reply computed before the commit (docs/protocol.md §5.6). A
 * vote that must wait for an object lock is answered later while the connection's other requests go
 * on. A group is written by the finishing thread when no write is in progress (a lone committer
 * pays no thread hop), otherwise by the committer's writer thread ({@code zbig-commit-*}).
 * Publishing a group and {@code register} share one monitor, so a new connection sees each commit
 * either in its last tid or as an invalidation.
 *
 * <p>Several servers on one PostgreSQL database: the database's commit lock ({@code
 * Storage.lockCommits}, an advisory lock) is leased by one server at a time. A vote enters its
 * server's lease after taking its object locks; the first to enter takes the lock (on a thread of
 * its own) and publishes under the monitor the commits other servers made before it ({@code
 * Storage.catchUp}). While the lease lasts no other server commits, so votes check conflicts and
 * finishes are grouped as on a server's own storage, a group being one PostgreSQL statement that
 * commits itself (one round trip and one synced write). The lock is given back 2 ms after the last
 * transaction inside has left; and when another server waits for it (a server notifies the channel
 * before it blocks on the lock; the holder also asks the database twice a second), newcomers wait
 * until it has been given back and taken again, so other servers get their turn. The records a
 * server commits stay in its cache of current revisions, so the next vote on them checks their
 * serials without a round trip. A listener thread of the storage (LISTEN/NOTIFY, plus a catch-up
 * read each second) publishes other servers' commits between leases.
 *
 * <h2>Byte layout</h2>
 *
 * RocksDB keys: revisions by {@code 'r' || oid || tid} (1 + 8 + 8 bytes, big-endian), so {@code
 * loadBefore} is one {@code seekForPrev}; transaction metadata by {@code 't' || tid}; counters and
 * the last tid under {@code 'm'} keys. Values of 64 KiB and more live in RocksDB's blob files; with
 * dedup on, records of 8 KiB and more are content-hashed 4 KiB chunks under {@code 'c'} keys
 * ({@code Chunks}, docs/dedup.md).
 *
 * <h2>Deliberately not done</h2>
 *
 * No instantiation of Python classes: the server merges conflicts only for the classes it can merge
 * without Python (B-tree buckets, sets and inline trees, {@code BTrees.Length}; {@code
 * KnownResolution}), as Python's ZEO server does for the classes it can import, and names them in
 * the vote's result so that clients reload them; every other conflict goes back to the client as a
 * conflict dict of the vote.
 */
package org.zbig.server;
