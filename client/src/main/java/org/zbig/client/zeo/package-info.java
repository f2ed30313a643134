/**
 * The client's side of the ZEO protocol: {@link org.zbig.client.zeo.ZeoClient} keeps one connection
 * to a storage server (or to the first of several addresses that answers) for its whole life, as
 * Python's {@code ClientStorage} does (docs/protocol.md §4.2, §4.5). It accepts the server's {@code
 * Z5} or {@code M5} offer, registers, brings what the client knows up to the server's last
 * transaction, and then multiplexes calls by message id over Netty: loads may be pipelined (many in
 * flight on the one connection), while a two-phase commit sends its one-way stores and waits for
 * the vote and the finish. Invalidations the server pushes are handed to the database in tid order;
 * a lost connection is re-established with back-off and the cache verified again. {@link
 * org.zbig.client.zeo.ClientOptions} holds the settings of the same names as {@code
 * ClientStorage}'s (storage name, read-only, timeouts, TLS).
 *
 * <p>Threads: each client has one network thread of its own, on which its listener runs and its
 * calls' futures complete. A process with many connections may have them share a few threads
 * instead ({@link org.zbig.client.zeo.ClientEventLoops}; the load generator of {@code bin/zbig
 * bench server} does): each client keeps one thread for its whole life, so its order holds, but
 * what runs on that thread then delays the others, and must not wait for another client's reply.
 *
 * <p>Big records straight into place: a {@code loadBefore} may carry a {@link
 * org.zbig.client.zeo.ZeoClient.Sink}, memory for the record's data (a ZBlk0 block's page). The
 * client steers its frame decoder ({@link org.zbig.wire.netty.FrameDecoder.Steering}): from the
 * first bytes of a big reply, {@link org.zbig.client.zeo.ReplyLayout} finds the call and where the
 * data lies, and the data is copied from the receive buffers into the sink as it arrives, instead
 * of into the reply's array and from there into the page. The rest of the reply, patched to say the
 * record's state is empty, decodes as usual. A call that fails first (a timeout, a lost connection)
 * revokes its sink on the network thread before its future fails, so nothing is written to the
 * memory after its owner may have given it to something else.
 */
package org.zbig.client.zeo;
