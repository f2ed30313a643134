/**
 * What a storage answers, in the terms of the ZODB storage API rather than of any protocol: a
 * revision found by {@code loadBefore} ({@link org.zbig.zodb.storage.LoadResult}), a transaction
 * and its records as an iterator gives them ({@link org.zbig.zodb.storage.TransactionInfo}, {@link
 * org.zbig.zodb.storage.RecordInfo}) and a step through the current records ({@link
 * org.zbig.zodb.storage.CurrentRecord}). The server's storages return them and the wire module
 * encodes them; the client decodes into them.
 */
package org.zbig.zodb.storage;
