package org.zbig.client;

import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.pickle.Bytes;

/**
 * The base of every persistent object: an object whose state lives in the database and is loaded on
 * first use (ZODB's {@code persistent.Persistent}).
 *
 * <p>States: {@link State#NEW} (not in a database yet), {@link State#GHOST} (known by oid, state
 * not loaded), {@link State#UP_TO_DATE} (loaded, unchanged) and {@link State#CHANGED} (changed in
 * the current transaction). Subclasses call {@link #readAccess()} before reading their fields and
 * {@link #writeAccess()} before changing them; the connection loads ghosts and records changes.
 *
 * <p>A subclass maps its fields to and from the Python state ({@link #getState()}, {@link
 * #setState(Object)}): plain pickle values (maps, tuples, lists, numbers, {@code str}, {@code
 * bytes}) and other persistent objects, which the connection turns into references.
 */
public abstract class Persistent {
  /** The life-cycle states of a persistent object. */
  public enum State {
    /** Not stored yet and not added to a connection. */
    NEW,
    /** Known by oid; the state is loaded on first access. */
    GHOST,
    /** Loaded and unchanged. */
    UP_TO_DATE,
    /** Changed in the current transaction. */
    CHANGED
  }

  Connection jar;
  Oid oid;
  Tid serial;
  State state = State.NEW;

  /** A new object, not in any database until added to a connection or referenced from one. */
  protected Persistent() {}

  /** The object's id, or null while it is new. */
  public final Oid oid() {
    return oid;
  }

  /** The tid of the revision this object's state comes from, or null while it is new. */
  public final Tid serial() {
    return serial;
  }

  /** The life-cycle state. */
  public final State state() {
    return state;
  }

  /** The connection the object belongs to, or null while it is new. */
  public final Connection connection() {
    return jar;
  }

  /** Loads the state if this is a ghost. Call before reading fields. */
  protected final void readAccess() {
    if (state == State.GHOST) {
      jar.activate(this);
    } else if (jar != null) {
      jar.touched(this);
    }
  }

  /** Loads the state if needed and marks the object changed. Call before changing fields. */
  protected final void writeAccess() {
    readAccess();
    if (state == State.UP_TO_DATE) {
      state = State.CHANGED;
      jar.changed(this);
    }
  }

  /** Loads the state now if this is a ghost (Python's {@code _p_activate}). */
  public final void activate() {
    readAccess();
  }

  /**
   * Turns an unchanged loaded object back into a ghost, dropping its state until next use (Python's
   * {@code _p_deactivate}); does nothing to new, changed or ghost objects.
   */
  public final void deactivate() {
    if (state == State.UP_TO_DATE && jar != null) {
      jar.deactivate(this);
    }
  }

  /** Marks the object changed, for changes the object cannot see (e.g. inside a mutable value). */
  public final void markChanged() {
    writeAccess();
  }

  /**
   * The state to store, as Python's {@code __getstate__} returns it; persistent objects inside are
   * written as references.
   */
  protected abstract Object getState();

  /** Sets the fields from a loaded state, as Python's {@code __setstate__}. */
  protected abstract void setState(Object state);

  /** Drops the fields (the object becomes a ghost); they are loaded again on next access. */
  protected abstract void clearState();

  /**
   * The record of the current state when the object holds it encoded already, or null (the
   * default): the connection then pickles the class and {@link #getState()}. An object that answers
   * must answer exactly those bytes; a {@link org.zbig.client.bigfile.ZBlk0} block written from a
   * page does, to be stored without one more copy of its data.
   */
  protected Bytes encodedRecord() {
    return null;
  }

  /**
   * Merges this transaction's change with a concurrent committed one, as Python's {@code
   * _p_resolveConflict}: states in, the merged state out.
   *
   * @param old the state both changes started from
   * @param committed the state committed meanwhile
   * @param mine this transaction's state
   * @throws ConflictException if the changes cannot be merged (the default)
   */
  protected Object resolveConflict(Object old, Object committed, Object mine) {
    throw new ConflictException(
        ConflictException.DEFAULT_MESSAGE, oid, null, serial, getClass().getName());
  }

  @Override
  public String toString() {
    return getClass().getSimpleName()
        + "[oid="
        + (oid == null ? "new" : oid.toHex())
        + ", "
        + state
        + "]";
  }

  /** Identity: two persistent objects are equal only if they are the same object. */
  @Override
  public final boolean equals(Object o) {
    return this == o;
  }

  @Override
  public final int hashCode() {
    return System.identityHashCode(this);
  }
}
