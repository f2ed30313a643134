package org.zbig.client;

import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;

/**
 * An object of a Python class this client does not know: it keeps its record as it was loaded, can
 * be inspected through the decoded state, and is written back byte for byte if marked changed.
 */
public final class OpaqueObject extends Persistent {
  private Global pythonClass;
  private Bytes record;

  OpaqueObject(Global pythonClass) {
    this.pythonClass = pythonClass;
  }

  /** The Python class. */
  public Global pythonClass() {
    return pythonClass;
  }

  /** The record as loaded (class pickle and state pickle). */
  public Bytes record() {
    readAccess();
    return record;
  }

  /** The decoded class metadata and state; references are {@code Reference} values. */
  public DataRecord decoded() {
    return DataRecord.decode(record());
  }

  void setRecord(Bytes record) {
    this.record = record;
    ClassMeta meta = DataRecord.decodeClassMeta(record.segment());
    this.pythonClass = meta.type();
  }

  @Override
  protected Object getState() {
    throw new UnsupportedOperationException("an opaque object is written as its record");
  }

  @Override
  protected void setState(Object state) {
    throw new UnsupportedOperationException("an opaque object is loaded as its record");
  }

  @Override
  protected void clearState() {
    record = null;
  }
}
