package org.zbig.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;
import org.zbig.zodb.storage.LoadResult;

/**
 * Turns records into objects for one connection, as ZODB's {@code ObjectReader}: the class from a
 * record's first pickle, the state from its second, with persistent references made into the
 * connection's objects (ghosts, without I/O when the reference names the class). A record that
 * cannot be read is a {@link CorruptRecordException} naming its oid and tid.
 */
final class ObjectReader {
  private final Connection jar;
  private final PickleCache cache;
  private final ClassRegistry registry;

  ObjectReader(Connection jar, PickleCache cache, ClassRegistry registry) {
    this.jar = jar;
    this.cache = cache;
    this.registry = registry;
  }

  /**
   * A new object of record {@code r} of {@code oid}, attached to the connection, with its state.
   */
  Persistent load(Oid oid, LoadResult r) {
    Persistent p = instantiate(classOf(oid, r));
    cache.attach(p, oid, jar);
    fill(p, r);
    return p;
  }

  /** Sets the state of {@code p} from its record {@code r}. */
  void fill(Persistent p, LoadResult r) {
    try {
      if (p instanceof OpaqueObject o) {
        o.setRecord(r.data());
      } else {
        DataRecord rec = DataRecord.decode(r.data());
        p.setState(resolveRefs(rec.state()));
      }
    } catch (PickleException | ClassCastException | IllegalArgumentException e) {
      throw new CorruptRecordException(p.oid, r.start(), "unreadable record: " + e.getMessage(), e);
    }
    p.serial = r.start();
    p.state = Persistent.State.UP_TO_DATE;
    cache.touched(p);
  }

  /** The state of a record of {@code p} (of revision {@code tid}, null if not stored). */
  Object state(Persistent p, Bytes record, Tid tid) {
    try {
      return resolveRefs(DataRecord.decode(record).state());
    } catch (PickleException e) {
      throw new CorruptRecordException(p.oid, tid, "unreadable record: " + e.getMessage(), e);
    }
  }

  private Persistent instantiate(Global type) {
    Persistent p = registry.create(type);
    return p != null ? p : new OpaqueObject(type);
  }

  private static Global classOf(Oid oid, LoadResult r) {
    try {
      return DataRecord.decodeClassMeta(r.data().segment()).type();
    } catch (PickleException | IllegalArgumentException e) {
      throw new CorruptRecordException(
          oid, r.start(), "unreadable class pickle: " + e.getMessage(), e);
    }
  }

  /** A ghost for a reference, without I/O when the reference names the class. */
  private Persistent ghost(Reference ref) {
    Persistent p = cache.get(ref.oid());
    if (p != null) {
      return p;
    }
    if (!(ref instanceof Reference.OidClass oc) || !(oc.klass() instanceof Global type)) {
      return jar.get(ref.oid()); // the class is only in the record
    }
    p = instantiate(type);
    cache.attach(p, ref.oid(), jar);
    p.state = Persistent.State.GHOST;
    return p;
  }

  /** The state with references turned into (ghost) objects. */
  private Object resolveRefs(Object v) {
    return switch (v) {
      case Reference r when r.strong() -> ghost(r);
      case Tuple t -> {
        Object[] items = new Object[t.size()];
        for (int i = 0; i < items.length; i++) {
          items[i] = resolveRefs(t.get(i));
        }
        yield Tuple.of(items);
      }
      case List<?> l -> {
        List<Object> out = new ArrayList<>(l.size());
        for (Object x : l) {
          out.add(resolveRefs(x));
        }
        yield out;
      }
      case Map<?, ?> m -> {
        Map<Object, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(resolveRefs(k), resolveRefs(x)));
        yield out;
      }
      case null -> null;
      default -> v;
    };
  }
}
