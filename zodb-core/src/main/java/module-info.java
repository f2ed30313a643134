/**
 * The ZODB data model: object and transaction ids, errors with ZODB meaning, the restricted pickle
 * reader and writer, and data records. Depends on the JDK only.
 */
module org.zbig.zodb {
  exports org.zbig.zodb;
  exports org.zbig.zodb.btree;
  exports org.zbig.zodb.error;
  exports org.zbig.zodb.pickle;
  exports org.zbig.zodb.record;
  exports org.zbig.zodb.storage;
}
