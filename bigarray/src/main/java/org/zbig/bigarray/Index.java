package org.zbig.bigarray;

import java.util.ArrayList;
import java.util.List;

/**
 * One item of numpy basic indexing: an integer (negative counts from the end), a slice with any
 * step, {@code newaxis} or the ellipsis. Advanced (array or boolean) indexing is refused.
 */
public sealed interface Index {
  /**
   * An integer index: the axis goes away.
   *
   * @param i the index, negative from the end
   */
  record At(long i) implements Index {}

  /**
   * A slice {@code start:stop:step}; null bounds are open, as in Python.
   *
   * @param start the first index, or null
   * @param stop the end (exclusive), or null
   * @param step the step, not 0
   */
  record Slice(Long start, Long stop, long step) implements Index {
    /** Checks the step. */
    public Slice {
      if (step == 0) {
        throw new IllegalArgumentException("slice step: 0 (expected: not zero)");
      }
    }

    /**
     * Python's {@code slice.indices(n)} on an axis of length {@code n}: {@code {start, stop, step,
     * length}}, bounds clamped as Python clamps them.
     */
    public long[] indices(long n) {
      return Layout.indices(this, n);
    }
  }

  /** {@code numpy.newaxis}: a new axis of length 1. */
  record NewAxis() implements Index {}

  /** {@code ...}: as many full slices as needed. */
  record Ellipsis() implements Index {}

  /** An integer index. */
  static Index at(long i) {
    return new At(i);
  }

  /** A slice; null bounds are open. */
  static Index slice(Long start, Long stop, long step) {
    return new Slice(start, stop, step);
  }

  /** The full slice {@code :}. */
  static Index all() {
    return new Slice(null, null, 1);
  }

  /**
   * Parses numpy's syntax, e.g. {@code "10:20,::-1,3"}, {@code "...,0"}, {@code "None,:"}.
   *
   * @throws IllegalArgumentException naming the part that is not basic indexing
   */
  static List<Index> parse(String expr) {
    List<Index> out = new ArrayList<>();
    if (expr.isBlank()) {
      return out;
    }
    for (String part : expr.split(",", -1)) {
      String p = part.strip();
      try {
        if (p.equals("...")) {
          out.add(new Ellipsis());
        } else if (p.equals("None") || p.equals("newaxis") || p.equals("np.newaxis")) {
          out.add(new NewAxis());
        } else if (p.contains(":")) {
          String[] s = p.split(":", -1);
          if (s.length > 3) {
            throw new IllegalArgumentException("too many colons");
          }
          Long start = s[0].isBlank() ? null : Long.parseLong(s[0].strip());
          Long stop = s.length < 2 || s[1].isBlank() ? null : Long.parseLong(s[1].strip());
          long step = s.length < 3 || s[2].isBlank() ? 1 : Long.parseLong(s[2].strip());
          out.add(new Slice(start, stop, step));
        } else {
          out.add(new At(Long.parseLong(p)));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "index '"
                + p
                + "' in '"
                + expr
                + "'"
                + (e instanceof NumberFormatException ? "" : ": " + e.getMessage())
                + " (expected: basic indexing: an int, start:stop:step, None or ...;"
                + " advanced indexing is not supported)",
            e);
      }
    }
    return out;
  }
}
