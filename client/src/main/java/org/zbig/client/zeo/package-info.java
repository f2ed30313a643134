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
 */
package org.zbig.client.zeo;
