/**
 * The embeddable Java ZODB client: databases, connections, transactions and persistent objects with
 * Python-compatible records, over a ZEO connection to our server or a Python ZEO server.
 *
 * <h2>Layers</h2>
 *
 * <ul>
 *   <li>{@link org.zbig.client.zeo.ZeoClient} (package {@code zeo}): one ZEO 5 connection kept up
 *       with reconnects and cache verification; any number of requests in flight from any thread;
 *       invalidations reported in tid order on its event loop (docs/protocol.md §4.2, 4.5).
 *   <li>{@link org.zbig.client.Database}: one ZEO connection, the {@code RecordCache} shared by its
 *       connections (each revision with its validity range {@code [start, end)}, filled and closed
 *       on the event loop in server order, so it serves every snapshot correctly; bounded by the
 *       heap its records hold, a reply's frame counted once while any record decoded from it is
 *       kept), the oid pool, the class registry and the commit lock (one two-phase commit at a time
 *       on the ZEO connection). Many records at once ({@code loadRecordsAsync}: a ZBlk1 block's
 *       chunks, a chunk table's level) are one {@code zbigLoadBeforeMany} call where our server
 *       offers it, else one batch of {@code loadBefore}s; an object and what it refers to, a few
 *       references deep ({@code loadTreeAsync}: a whole ZBlk1 block), one {@code
 *       zbigLoadBeforeTree} call (docs/protocol.md §3.2).
 *   <li>{@link org.zbig.client.Connection}: a snapshot (loads are {@code loadBefore(oid, at+1)}),
 *       the changes of the current transaction, commit with client-side conflict resolution, and
 *       {@link org.zbig.client.Connection.Synchronizer}s for other data managers (virtmem). A
 *       historical connection ({@link org.zbig.client.Database#open(org.zbig.zodb.Tid)}) is fixed
 *       at a past tid, ignores invalidations and refuses changes; the same record cache serves it,
 *       as its revisions carry their validity ranges. Our server names the tid it was packed up to
 *       in {@code get_info} ({@code zbig_packed_tid}), so a tid whose history is gone is refused.
 *   <li>Beside each connection, split as ZODB splits its own: {@code PickleCache}, the identity map
 *       (weak) with an LRU set of loaded objects; {@code ObjectReader}, records into objects
 *       (references into ghosts); {@code ObjectWriter}, objects into records (new objects reached
 *       get oids).
 *   <li>{@link org.zbig.client.Persistent}: ghost / up-to-date / changed; subclasses map fields to
 *       the Python state; {@link org.zbig.client.PersistentMapping}, {@link
 *       org.zbig.client.Length}, {@link org.zbig.client.OpaqueObject} and the B-trees of package
 *       {@code btree} are built in.
 * </ul>
 *
 * <h2>Concurrency</h2>
 *
 * A database is thread-safe; a connection and its objects are used by one thread at a time.
 * Invalidations are queued per connection and applied at transaction boundaries. Nothing blocks the
 * ZEO event loop: it only completes futures, fills the record cache and queues invalidations.
 *
 * <h2>Big files</h2>
 *
 * Package {@code virtmem} pages big files into RAM; {@link
 * org.zbig.client.Connection#join(org.zbig.client.virtmem.FileHandle)} makes one take part in a
 * connection's transactions.
 */
package org.zbig.client;
