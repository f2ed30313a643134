package org.zbig.zodb.record;

import java.util.Objects;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.Tuple;

/**
 * The class metadata of a record: its first pickle (docs/formats.md §1.2), naming the class to
 * create the ghost from and, for classes with {@code __getnewargs__}, the arguments.
 *
 * @param type the class
 * @param form how the metadata is written
 * @param args the new-args value ({@code None} = null) for the forms that carry one; null for
 *     {@link Form#CLASS}
 */
public record ClassMeta(Global type, Form form, Object args) {
  /** The written forms of class metadata. */
  public enum Form {
    /** The class alone (form 1; every class of this project). */
    CLASS,
    /** {@code (class, args)} (forms 2, 5, 6). */
    CLASS_ARGS,
    /** {@code ((module, name), args)} (forms 3, 4, 7: persistent classes, legacy). */
    NAMES_ARGS
  }

  /** Checks the arguments. */
  public ClassMeta {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(form, "form");
    if (form == Form.CLASS && args != null) {
      throw new IllegalArgumentException("class metadata of form CLASS carries no args");
    }
  }

  /** Form 1 metadata for the class {@code module.name}. */
  public static ClassMeta of(String dottedClass) {
    return new ClassMeta(Global.of(dottedClass), Form.CLASS, null);
  }

  /** Form 1 metadata for {@code type}. */
  public static ClassMeta of(Global type) {
    return new ClassMeta(type, Form.CLASS, null);
  }

  /**
   * Interprets a decoded class pickle as ZODB's {@code ObjectReader} does.
   *
   * @throws PickleException if {@code value} has none of the forms
   */
  public static ClassMeta fromValue(Object value) {
    if (value instanceof Global g) {
      return of(g);
    }
    if (value instanceof Tuple t && t.size() == 2) {
      if (t.get(0) instanceof Global g) {
        return new ClassMeta(g, Form.CLASS_ARGS, t.get(1));
      }
      if (t.get(0) instanceof Tuple names && names.size() == 2) {
        try {
          Global g = new Global(PickleValues.text(names.get(0)), PickleValues.text(names.get(1)));
          return new ClassMeta(g, Form.NAMES_ARGS, t.get(1));
        } catch (IllegalArgumentException e) {
          throw new PickleException(-1, "class metadata names: " + names + ": " + e.getMessage());
        }
      }
    }
    throw new PickleException(
        -1,
        "class metadata: "
            + PickleValues.repr(value)
            + " (expected: class, (class, args) or ((module, name), args))");
  }

  /** The value to pickle for this metadata. */
  public Object toValue() {
    return switch (form) {
      case CLASS -> type;
      case CLASS_ARGS -> Tuple.of(type, args);
      case NAMES_ARGS -> Tuple.of(Tuple.of(type.module(), type.name()), args);
    };
  }

  /** {@code module.name} of the class. */
  public String className() {
    return type.dotted();
  }

  /** The dotted name of a class value (a {@link Global} or a {@code (module, name)} tuple). */
  static String dottedName(Object klass) {
    return switch (klass) {
      case Global g -> g.dotted();
      case Tuple t
          when t.size() == 2 && t.get(0) instanceof String m && t.get(1) instanceof String n ->
          m + "." + n;
      case null, default -> null;
    };
  }
}
