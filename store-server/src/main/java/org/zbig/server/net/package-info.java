/**
 * The network side of the server: one {@link org.zbig.server.net.ConnectionHandler} per client
 * connection, on that connection's Netty event loop, after the wire module's codec.
 *
 * <p>The handler checks the handshake and registration, answers reads from the storage in request
 * order (so an invalidation queued after a commit never overtakes a load reply computed before it,
 * docs/protocol.md §5.6), hands {@code tpc_begin} to {@code tpc_finish} to the committer ({@code
 * org.zbig.server.commit}), and owns flow control: requests owed later and open iterators count
 * against the in-flight limit, a transaction's bytes against its limit, and reading stops while the
 * channel is not writable or the server is over its memory budget. Beside it, per connection:
 * {@link org.zbig.server.net.Iterators} (the open transaction and record iterators), {@link
 * org.zbig.server.net.BlobUpload} (the blob file being uploaded; a client that shares the storage's
 * blob folder sends only the name of a file it wrote there, {@code storeBlobShared}, which the
 * storage checks and the transaction then owns, and a refused one fails the vote), {@link
 * org.zbig.server.net.BlobDownload} (a blob sent in chunks at most 16 ahead of the socket), {@link
 * org.zbig.server.net.UndoLogs} ({@code undoLog} and {@code undoInfo}) and {@link
 * org.zbig.server.net.MultiLoads} (the answers to the calls that load many records at once, from
 * the storage alone). All of it runs on the event loop only.
 */
package org.zbig.server.net;
