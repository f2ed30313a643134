/**
 * Persistent B-trees as Python's {@code BTrees} package stores them (docs/formats.md §3): {@link
 * org.zbig.client.btree.BTree} with the families {@code LO} (int64 keys, wendelin's block tables),
 * {@code IO} (int32 keys, ZBlk1 chunk tables) and {@code OO} (str, bytes or int keys), and their
 * {@link org.zbig.client.btree.Bucket}s. The state shapes, limits and conflict rules come from
 * {@code org.zbig.zodb.btree}; this package adds the persistent objects and the insert, split and
 * delete algorithm that produces the same shapes as Python.
 */
package org.zbig.client.btree;
