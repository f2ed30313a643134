/**
 * B-tree state codecs: the pickled states of the {@code BTrees} classes as Java values, and the
 * merge of concurrent bucket changes. Pure functions over decoded pickle values; no I/O, no
 * persistence machinery. Both the client's persistent B-trees and the code that reads and writes
 * wendelin block tables build on it.
 *
 * <h2>What it connects</h2>
 *
 * A record's state pickle, decoded by {@link org.zbig.zodb.record.DataRecord} into tuples, ints and
 * {@link org.zbig.zodb.record.Reference}s, on one side; typed bucket and tree-node states on the
 * other. References stay opaque: whatever object stands for a persistent child or {@code next}
 * bucket in the decoded state is carried through unchanged, so a client may put its own persistent
 * objects there before encoding.
 *
 * <h2>API for clients</h2>
 *
 * <ul>
 *   <li>{@link org.zbig.zodb.btree.BTreeFamily}: {@code IO}, {@code LO}, {@code OO}, {@code II},
 *       {@code LL}, {@code OI}, {@code OL}; module name, node size limits, key and value checks,
 *       key order (docs/formats.md §3.1).
 *   <li>{@link org.zbig.zodb.btree.BTreeClass}: a class name such as {@code BTrees.LOBTree
 *       LOBucket} ↔ family and {@link org.zbig.zodb.btree.BTreeKind} (tree or bucket, map or set).
 *   <li>{@link org.zbig.zodb.btree.BucketState}: {@code decode(state, set)} / {@code encode()} of a
 *       bucket (docs/formats.md §3.2).
 *   <li>{@link org.zbig.zodb.btree.TreeState}: {@code Empty}, {@code Inline}, {@code Children} and
 *       their codec (docs/formats.md §3.3).
 *   <li>{@link org.zbig.zodb.btree.BucketConflicts}: three-way bucket merge, or a {@link
 *       org.zbig.zodb.error.BTreesConflictException} with a {@link
 *       org.zbig.zodb.btree.ConflictReason}.
 * </ul>
 *
 * <h2>States and lifecycle</h2>
 *
 * All types are immutable values; decoding copies the item lists. Decoders check the shape and that
 * keys strictly increase, and report a malformed state as an {@link IllegalArgumentException}
 * naming the value and the expectation; the caller, who knows the oid, wraps it into a {@link
 * org.zbig.zodb.error.CorruptRecordException}. Shapes Python never writes (an inline bucket next to
 * other children, a 1-tuple tree state with a persistent child) are refused, so a decode → encode
 * round trip gives the same value and, written by {@code DataRecord}, the same bytes.
 *
 * <h2>Concurrency</h2>
 *
 * None needed: values are immutable and the functions are pure.
 *
 * <h2>Byte layout</h2>
 *
 * <pre>
 * bucket  ((k0, v0, k1, v1, ...),)  or  ((k0, v0, ...), next)       set: ((k0, k1, ...), ...)
 * tree    None  |  (((k0, v0, ...),),)  |  ((c0, key1, c1, ..., c_n-1), firstbucket)
 * </pre>
 *
 * <h2>Deliberately not done</h2>
 *
 * Insertion, splitting and deletion (docs/formats.md §3.4) belong to the client's tree, which uses
 * the limits of {@link org.zbig.zodb.btree.BTreeFamily}. Keys other than ints, str and bytes
 * (floats, tuples, None) are refused. Families with unsigned or float types ({@code U}, {@code Q},
 * {@code F}) are not supported. Tree nodes with children are never merged, as in Python.
 */
package org.zbig.zodb.btree;
