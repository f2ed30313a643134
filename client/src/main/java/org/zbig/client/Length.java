package org.zbig.client;

import org.zbig.zodb.error.CorruptRecordException;

/**
 * Python's {@code BTrees.Length.Length}: a counter whose concurrent changes never conflict (they
 * add up). Its state is the int value.
 */
public final class Length extends Persistent {
  private long value;

  /** A counter at 0. */
  public Length() {}

  /** A counter at {@code value}. */
  public Length(long value) {
    this.value = value;
  }

  /** The value. */
  public long value() {
    readAccess();
    return value;
  }

  /** Adds {@code delta}. */
  public void change(long delta) {
    writeAccess();
    value = Math.addExact(value, delta);
  }

  /** Sets the value. */
  public void set(long value) {
    writeAccess();
    this.value = value;
  }

  @Override
  protected Object getState() {
    return value;
  }

  @Override
  protected void setState(Object state) {
    if (!(state instanceof Long v)) {
      throw new CorruptRecordException(oid, serial, "Length state is not an int: " + state, null);
    }
    value = v;
  }

  @Override
  protected void clearState() {
    value = 0;
  }

  /** Concurrent changes add up: {@code committed + mine - old}. */
  @Override
  protected Object resolveConflict(Object old, Object committed, Object mine) {
    return (Long) committed + (Long) mine - (Long) old;
  }
}
