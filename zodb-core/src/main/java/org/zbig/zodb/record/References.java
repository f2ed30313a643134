package org.zbig.zodb.record;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.GlobalResolver;
import org.zbig.zodb.pickle.PersistentId;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.PickleReader;
import org.zbig.zodb.pickle.Tuple;

/**
 * Reference extraction for pack and garbage collection: ZODB's {@code referencesf} (docs/formats.md
 * §5). Both pickles of a record are scanned with one memo; every persistent id is collected in
 * pickle order, also those in the class pickle and those reached through the memo; tuples give
 * their first element, byte strings themselves, lists (weak and cross-database references) are
 * skipped; duplicates are kept.
 */
public final class References {
  private References() {}

  /**
   * The oids a record refers to strongly, in pickle order, duplicates kept.
   *
   * @throws PickleException if the bytes are not two pickles, or an oid is not 8 bytes
   */
  public static List<Oid> extract(MemorySegment record) {
    List<Object> pids = new ArrayList<>();
    PickleReader r =
        new PickleReader(
            record,
            0,
            GlobalResolver.opaque(),
            pid -> {
              pids.add(pid);
              return new PersistentId(pid);
            });
    r.load();
    r.load();
    List<Oid> oids = new ArrayList<>(pids.size());
    for (Object pid : pids) {
      Object oid =
          switch (pid) {
            case Tuple t when t.size() > 0 -> t.get(0);
            case Bytes b -> b;
            case String s -> s;
            case List<?> l -> null;
            case null, default ->
                throw new PickleException(
                    -1, "persistent id " + (pid == null ? "None" : pid) + " has no oid");
          };
      if (oid != null) {
        oids.add(Reference.oidOf(oid));
      }
    }
    return oids;
  }

  /** As {@link #extract(MemorySegment)}, for a record in an array (not copied). */
  public static List<Oid> extract(byte[] record) {
    return extract(MemorySegment.ofArray(record));
  }
}
