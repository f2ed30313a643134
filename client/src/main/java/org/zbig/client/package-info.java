/**
 * The embeddable Java ZODB client: a ZEO connection, databases, connections, transactions,
 * persistent objects with Python-compatible records, and the virtmem page cache of big files.
 *
 * <h2>What it connects</h2>
 *
 * Java applications on one side; a zbig server or a real Python ZEO server on the other, through
 * the wire module's messages on Netty.
 *
 * <h2>API for clients (built by the client and virtmem issues)</h2>
 *
 * <ul>
 *   <li>{@code Database}: opened on a server address, AutoCloseable.
 *   <li>{@code Connection}: {@code root()}, {@code get(oid)}, {@code add(obj)}, one isolated MVCC
 *       view per transaction.
 *   <li>{@code Persistent}: ghost / up-to-date / changed states, oid and serial.
 *   <li>virtmem: {@code BigFile}, {@code FileHandle}, {@code Mapping}: blocks loaded lazily into
 *       RAM pages, dropped on invalidation, written back at commit.
 * </ul>
 *
 * <h2>Concurrency</h2>
 *
 * A connection is used by one thread at a time; the ZEO connection multiplexes requests of all
 * connections of a database; virtmem has one lock, and never does I/O under it.
 */
package org.zbig.client;
