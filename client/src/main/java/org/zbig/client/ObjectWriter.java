package org.zbig.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/**
 * Turns objects into records for one connection, as ZODB's {@code ObjectWriter}: the Python class
 * of the object, then its state with persistent objects replaced by references that name their
 * class. A persistent object reached that has no connection yet is new: it is handed to the
 * connection (which gives it an oid) and joins the records to write.
 */
final class ObjectWriter {
  private final Connection jar;
  private final ClassRegistry registry;
  private final Consumer<Persistent> adopt;

  /**
   * @param adopt makes a new object reached from a stored one part of the connection (an oid, the
   *     transaction's added objects)
   */
  ObjectWriter(Connection jar, ClassRegistry registry, Consumer<Persistent> adopt) {
    this.jar = jar;
    this.registry = registry;
    this.adopt = adopt;
  }

  /**
   * The record of {@code p}; new objects it reaches are adopted and added to {@code pending}, so
   * that they are written too.
   */
  Bytes record(Persistent p, Set<Persistent> pending) {
    if (p instanceof OpaqueObject o) {
      return o.record();
    }
    Bytes encoded = p.encodedRecord();
    return encoded != null ? encoded : record(p, p.getState(), pending);
  }

  /** The record of {@code p} with state {@code state} (a merged state, say). */
  Bytes record(Persistent p, Object state, Set<Persistent> pending) {
    Global type = registry.pythonClass(p);
    return new DataRecord(ClassMeta.of(type), toRefs(state, pending)).encodeBytes();
  }

  /** The state with objects turned into references; new objects get oids and join the commit. */
  private Object toRefs(Object v, Set<Persistent> pending) {
    return switch (v) {
      case Persistent p -> {
        if (p.jar == null) {
          adopt.accept(p);
          pending.add(p);
        } else if (p.jar != jar) {
          throw new IllegalArgumentException(p + " belongs to another connection");
        }
        yield Reference.OidClass.of(p.oid, registry.pythonClass(p).dotted());
      }
      case Tuple t -> {
        Object[] items = new Object[t.size()];
        for (int i = 0; i < items.length; i++) {
          items[i] = toRefs(t.get(i), pending);
        }
        yield Tuple.of(items);
      }
      case List<?> l -> {
        List<Object> out = new ArrayList<>(l.size());
        for (Object x : l) {
          out.add(toRefs(x, pending));
        }
        yield out;
      }
      case Map<?, ?> m -> {
        Map<Object, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(toRefs(k, pending), toRefs(x, pending)));
        yield out;
      }
      case PyObject o -> o;
      case null -> null;
      default -> v;
    };
  }
}
