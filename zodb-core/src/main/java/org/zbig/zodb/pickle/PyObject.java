package org.zbig.zodb.pickle;

import java.util.Objects;

/**
 * An object a pickle describes by a callable and arguments ({@code REDUCE}, {@code NEWOBJ}, the
 * protocol-0 {@code INST}/{@code OBJ}), optionally followed by a state ({@code BUILD}). Nothing is
 * ever called: this is the description only, e.g. a numpy dtype is {@code PyObject(numpy.dtype,
 * ('f8', False, True), state=(3, '<', None, ...))}.
 */
public final class PyObject {
  /** How the object is created. */
  public enum Kind {
    /** {@code callable(*args)}: REDUCE (and the protocol-0 INST and OBJ). */
    REDUCE,
    /** {@code cls.__new__(cls, *args)}: NEWOBJ (protocol 2). */
    NEWOBJ
  }

  private final Object callable;
  private final Tuple args;
  private final Kind kind;
  private Object state; // set at most once, by BUILD while decoding
  private boolean hasState;

  /**
   * An object without state.
   *
   * @param callable the callable or class, usually a {@link Global}
   * @param args the arguments
   * @param kind how it is created
   */
  public PyObject(Object callable, Tuple args, Kind kind) {
    this.callable = Objects.requireNonNull(callable, "callable");
    this.args = Objects.requireNonNull(args, "args");
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /** An object with a {@code BUILD} state ({@code null} state means Python {@code None}). */
  public PyObject(Object callable, Tuple args, Kind kind, Object state) {
    this(callable, args, kind);
    this.state = state;
    this.hasState = true;
  }

  /** The callable or class. */
  public Object callable() {
    return callable;
  }

  /** The arguments. */
  public Tuple args() {
    return args;
  }

  /** How the object is created. */
  public Kind kind() {
    return kind;
  }

  /** Whether a BUILD state follows. */
  public boolean hasState() {
    return hasState;
  }

  /** The BUILD state; null when there is none or it is {@code None}. */
  public Object state() {
    return state;
  }

  void build(Object newState) {
    this.state = newState;
    this.hasState = true;
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof PyObject p
            && p.kind == kind
            && p.hasState == hasState
            && p.callable.equals(callable)
            && p.args.equals(args)
            && Objects.equals(p.state, state);
  }

  @Override
  public int hashCode() {
    return Objects.hash(callable, args, kind);
  }

  /** {@code module.Class(args)}, with its state; bounded as {@link PickleValues#repr}. */
  @Override
  public String toString() {
    return PickleValues.repr(this);
  }
}
