/**
 * ZODB data records: class metadata plus state in two pickles with one memo ({@link
 * org.zbig.zodb.record.DataRecord}), the persistent reference forms ({@link
 * org.zbig.zodb.record.Reference}) and reference extraction for pack ({@link
 * org.zbig.zodb.record.References}).
 */
package org.zbig.zodb.record;
