/**
 * The commit path of the server, without channels: what {@code vote}, {@code tpc_finish} and {@code
 * tpc_abort} do to a storage, and how commits reach the other connections.
 *
 * <p>{@link org.zbig.server.commit.Txn} is one connection's open transaction: its metadata, the
 * operations replayed at vote, the blob files it uploaded, and its state in the committer. {@link
 * org.zbig.server.commit.Committer} votes a transaction under the locks of the objects it writes or
 * checks (all at once, or the vote waits), keeps them for a vote that returned conflicts, and
 * writes finished transactions in groups, one synced write each, with tids in queue order; before a
 * group write its writer thread waits a little (at most a write's mean time, {@code
 * --commit-gather}) for the transactions still open to finish and join the group. {@link
 * org.zbig.server.commit.ServedStorage} is one served storage: its subscribers (the registered
 * connections), the recent invalidations for reconnecting clients, its counters, and on PostgreSQL
 * the lease on the database's commit lock (see {@link org.zbig.server}). Publishing a group and
 * registering a subscriber share one monitor, so a subscriber sees each commit either in its last
 * tid or as an invalidation.
 *
 * <p>The network side ({@code org.zbig.server.net}) calls in from a connection's event loop;
 * nothing here knows of channels, so {@code CommitterTest} drives it against the in-memory storage.
 */
package org.zbig.server.commit;
