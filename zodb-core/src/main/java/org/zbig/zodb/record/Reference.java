package org.zbig.zodb.record;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.PickleValues;
import org.zbig.zodb.pickle.Tuple;

/**
 * A persistent reference inside a record: the forms of ZODB's persistent ids (docs/formats.md
 * §1.3). Only {@link OidClass} and {@link OidOnly} are strong references that pack follows.
 */
public sealed interface Reference {
  /** The referenced object's id. */
  Oid oid();

  /** Whether pack/GC follows this reference ({@code referencesf} reports it). */
  default boolean strong() {
    return false;
  }

  /**
   * {@code (oid, class)}: the normal form; the class lets a reader make a ghost without I/O.
   *
   * @param oid the object
   * @param klass its class: a {@link Global}, or a {@code (module, name)} {@link Tuple}
   */
  record OidClass(Oid oid, Object klass) implements Reference {
    /** Checks the arguments. */
    public OidClass {
      Objects.requireNonNull(oid, "oid");
      Objects.requireNonNull(klass, "klass");
    }

    /** A reference to {@code oid} of class {@code module.name}. */
    public static OidClass of(Oid oid, String dottedClass) {
      return new OidClass(oid, Global.of(dottedClass));
    }

    /** The dotted class name, or null if the class is not given by name. */
    public String className() {
      return ClassMeta.dottedName(klass);
    }

    @Override
    public boolean strong() {
      return true;
    }
  }

  /**
   * {@code oid} alone: the class defines {@code __getnewargs__}, the reader loads the target.
   *
   * @param oid the object
   */
  record OidOnly(Oid oid) implements Reference {
    @Override
    public boolean strong() {
      return true;
    }
  }

  /**
   * {@code ['w', (oid,)]} or {@code ['w', (oid, database)]}: a {@code persistent.wref.WeakRef}.
   *
   * @param oid the object
   * @param database the database name, or null for the same database
   */
  record Weak(Oid oid, String database) implements Reference {}

  /**
   * {@code ['n', (database, oid)]}: an object of another database of a multi-database.
   *
   * @param database the database name
   * @param oid the object
   */
  record CrossDatabase(String database, Oid oid) implements Reference {}

  /**
   * {@code ['m', (database, oid, class)]}: as {@link CrossDatabase}, with the class.
   *
   * @param database the database name
   * @param oid the object
   * @param klass its class
   */
  record CrossDatabaseClass(String database, Oid oid, Object klass) implements Reference {}

  /**
   * {@code [oid]}: the legacy weak reference.
   *
   * @param oid the object
   */
  record LegacyWeak(Oid oid) implements Reference {}

  /**
   * Interprets a persistent id as ZODB's {@code ObjectReader._persistent_load} does.
   *
   * @throws PickleException if {@code pid} has none of the forms
   */
  static Reference fromPid(Object pid) {
    switch (pid) {
      case Tuple t when t.size() == 2 -> {
        return new OidClass(oidOf(t.get(0)), requireClass(t.get(1)));
      }
      case Bytes b -> {
        return new OidOnly(oidOf(b));
      }
      case String s -> {
        return new OidOnly(oidOf(s));
      }
      case List<?> l when l.size() == 2 -> {
        String type = PickleValues.text(l.get(0));
        if (!(l.get(1) instanceof Tuple a)) {
          throw bad(pid);
        }
        int n = a.size();
        if (type.equals("w") && (n == 1 || n == 2)) {
          return new Weak(oidOf(a.get(0)), n == 1 ? null : PickleValues.text(a.get(1)));
        } else if (type.equals("n") && n == 2) {
          return new CrossDatabase(PickleValues.text(a.get(0)), oidOf(a.get(1)));
        } else if (type.equals("m") && n == 3) {
          return new CrossDatabaseClass(PickleValues.text(a.get(0)), oidOf(a.get(1)), a.get(2));
        }
        throw bad(pid);
      }
      case List<?> l when l.size() == 1 -> {
        return new LegacyWeak(oidOf(l.get(0)));
      }
      case null, default -> throw bad(pid);
    }
  }

  /**
   * The persistent id that stands for {@code ref}, with oids as byte strings made by {@code
   * oidBytes} (so one record can share one byte string per oid, as Python's writer does).
   */
  static Object toPid(Reference ref, Function<Oid, Bytes> oidBytes) {
    return switch (ref) {
      case OidClass r -> Tuple.of(oidBytes.apply(r.oid()), r.klass());
      case OidOnly r -> oidBytes.apply(r.oid());
      case Weak r ->
          list(
              "w",
              r.database() == null
                  ? Tuple.of(oidBytes.apply(r.oid()))
                  : Tuple.of(oidBytes.apply(r.oid()), r.database()));
      case CrossDatabase r -> list("n", Tuple.of(r.database(), oidBytes.apply(r.oid())));
      case CrossDatabaseClass r ->
          list("m", Tuple.of(r.database(), oidBytes.apply(r.oid()), r.klass()));
      case LegacyWeak r -> {
        List<Object> l = new ArrayList<>(1);
        l.add(oidBytes.apply(r.oid()));
        yield l;
      }
    };
  }

  /**
   * The oid of a persistent id's oid field: 8 bytes, or (Python 2) a str of 8 chars below 256.
   *
   * @throws PickleException if it is anything else
   */
  static Oid oidOf(Object v) {
    Bytes b =
        switch (v) {
          case Bytes x -> x;
          case String s when s.chars().allMatch(c -> c < 256) -> Bytes.wrap(latin1(s));
          case null, default -> null;
        };
    if (b == null || b.length() != Oid.BYTES) {
      throw new PickleException(
          -1,
          "oid in persistent id: " + PickleValues.repr(v) + " (expected: " + Oid.BYTES + " bytes)");
    }
    return Oid.of(b.segment());
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static Object requireClass(Object klass) {
    if (klass == null) {
      throw new PickleException(-1, "persistent id (oid, class) with class None");
    }
    return klass;
  }

  private static List<Object> list(String type, Tuple args) {
    List<Object> l = new ArrayList<>(2);
    l.add(type);
    l.add(args);
    return l;
  }

  private static PickleException bad(Object pid) {
    return new PickleException(
        -1,
        "persistent id "
            + PickleValues.repr(pid)
            + " (expected: (oid, class), oid, ['w'|'n'|'m', args] or [oid])");
  }
}
