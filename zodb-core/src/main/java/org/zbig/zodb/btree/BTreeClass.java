package org.zbig.zodb.btree;

import java.util.Objects;
import java.util.Optional;
import org.zbig.zodb.pickle.Global;

/**
 * One B-tree class, e.g. {@code BTrees.LOBTree.LOBucket} = ({@link BTreeFamily#LO}, {@link
 * BTreeKind#BUCKET}).
 *
 * @param family the key and value types
 * @param kind tree or bucket, map or set
 */
public record BTreeClass(BTreeFamily family, BTreeKind kind) {
  /** Checks the arguments. */
  public BTreeClass {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(kind, "kind");
  }

  /**
   * The class named {@code module.name}, if it is a B-tree class of a supported family: module
   * {@code BTrees.<XY>BTree}, name {@code <XY>BTree}, {@code <XY>Bucket}, {@code <XY>TreeSet} or
   * {@code <XY>Set}.
   */
  public static Optional<BTreeClass> of(String module, String name) {
    for (BTreeFamily f : BTreeFamily.values()) {
      if (f.module().equals(module) && name.startsWith(f.prefix())) {
        String suffix = name.substring(f.prefix().length());
        for (BTreeKind k : BTreeKind.values()) {
          if (k.suffix().equals(suffix)) {
            return Optional.of(new BTreeClass(f, k));
          }
        }
      }
    }
    return Optional.empty();
  }

  /** The class of a global, as {@link #of(String, String)}. */
  public static Optional<BTreeClass> of(Global global) {
    return of(global.module(), global.name());
  }

  /** The Python class, e.g. {@code BTrees.LOBTree.LOBucket}: for class metadata and references. */
  public Global global() {
    return new Global(family.module(), name());
  }

  /** The class name without module, e.g. {@code LOBucket}. */
  public String name() {
    return family.prefix() + kind.suffix();
  }

  /**
   * The leaf class of this class's family and map/set flavour ({@code LOBucket}, {@code LOSet}).
   */
  public BTreeClass leaf() {
    return new BTreeClass(family, kind.isSet() ? BTreeKind.SET : BTreeKind.BUCKET);
  }

  @Override
  public String toString() {
    return family.module() + "." + name();
  }
}
