/**
 * The ZODB data model that every other zbig module stands on: object and transaction ids, errors
 * with ZODB meaning, the restricted pickle codec, and data records.
 *
 * <h2>What it connects</h2>
 *
 * Python's ZODB stores objects as pickles; the ZEO protocol carries pickles too. This module reads
 * and writes exactly the pickles Python reads and writes, so the server (which treats records as
 * opaque bytes except for reference extraction), the Java client (which maps records to Java
 * objects) and the wire codec share one implementation. It depends on the JDK only.
 *
 * <h2>API for clients</h2>
 *
 * <ul>
 *   <li>{@link org.zbig.zodb.Oid} and {@link org.zbig.zodb.Tid}: 8-byte big-endian ids; a tid is a
 *       persistent {@code TimeStamp}, with {@link org.zbig.zodb.Tid#now()} and {@link
 *       org.zbig.zodb.Tid#laterThan(org.zbig.zodb.Tid)} for strictly increasing commit tids.
 *   <li>{@link org.zbig.zodb.pickle.PickleReader} / {@link org.zbig.zodb.pickle.PickleWriter}:
 *       pickles to and from a small value model (see {@link org.zbig.zodb.pickle.PickleValues}).
 *   <li>{@link org.zbig.zodb.record.DataRecord}: a record's class metadata and state; {@link
 *       org.zbig.zodb.record.Reference}: the persistent reference forms.
 *   <li>{@link org.zbig.zodb.record.References#extract}: ZODB's {@code referencesf}, for pack.
 *   <li>{@link org.zbig.zodb.error.StorageException} and its subclasses, each naming the Python
 *       exception it stands for on the wire.
 * </ul>
 *
 * <h2>Values and lifecycle</h2>
 *
 * Decoding builds no application objects and imports nothing: globals are names filtered by a
 * {@link org.zbig.zodb.pickle.GlobalResolver} (the allow-list), {@code REDUCE}/{@code BUILD} become
 * {@link org.zbig.zodb.pickle.PyObject} descriptions, persistent ids go through a hook. Byte
 * strings are zero-copy {@link org.zbig.zodb.pickle.Bytes} slices of the input: decoding a record
 * that holds a 2 MiB block costs no copy of the block, and the caller keeps the input unchanged
 * while values from it are in use. Lists and dicts are mutable Java collections (as in Python);
 * tuples, byte strings and ids are immutable.
 *
 * <h2>Concurrency</h2>
 *
 * Ids and immutable values are thread-safe. A reader or writer is used by one thread at a time;
 * create one per record (they are cheap).
 *
 * <h2>Byte layout</h2>
 *
 * Ids: 8 bytes big-endian. Tids: see {@link org.zbig.zodb.Tid}. Records: two protocol-3 pickles
 * back to back with one memo, see {@link org.zbig.zodb.record.DataRecord}. The writer produces the
 * bytes Python's C pickler produces (docs/formats.md §1.4), so re-encoding a record Python wrote
 * gives the same bytes.
 *
 * <h2>Deliberately not done</h2>
 *
 * <ul>
 *   <li>No general Python object model: nothing is called, instantiated or imported.
 *   <li>No protocol 4/5 output; protocol 4/5 input is accepted, except out-of-band buffers and
 *       extension-registry codes, which ZODB never writes.
 *   <li>Sets are read but not written (protocol 3 writes them through globals).
 * </ul>
 */
package org.zbig.zodb;
