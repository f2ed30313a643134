package org.zbig.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.LoadResult;

/**
 * {@code zbigLoadBeforeMany(oids, before)}: {@link LoadBefore} of several objects in one call, an
 * extension of this project's servers (docs/protocol.md §3.2), which say so in {@code get_info}
 * ({@link #INFO_KEY}); ZEO's servers do not have it, and clients of them send {@link LoadBefore}s.
 *
 * <p>The result is a list with one entry per oid in order, each what {@link LoadBefore} answers (a
 * {@code (data, start, end)} triple, or None); it may be shorter than the oids when the records it
 * holds reach {@link #REPLY_BYTES}: the client asks again for the rest. It holds at least one
 * entry.
 *
 * @param msgid the id the reply echoes
 * @param oids the objects, 1 to {@link #MAX_OIDS} of them
 * @param before the exclusive upper bound, for all of them
 */
public record LoadBeforeMany(MsgId msgid, List<Oid> oids, Tid before)
    implements SyncRequest<List<Optional<LoadResult>>> {
  /** The method name on the wire. */
  public static final String METHOD = "zbigLoadBeforeMany";

  /** The {@code get_info} key, true on servers that answer this call. */
  public static final String INFO_KEY = "zbig_load_before_many";

  /** The most oids one call may name. */
  public static final int MAX_OIDS = 4096;

  /** A reply stops adding records once their data reach this many bytes. */
  public static final long REPLY_BYTES = 4L << 20;

  /** Checks the fields and copies the list. */
  public LoadBeforeMany {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(before, "before");
    oids = List.copyOf(oids);
    if (oids.isEmpty() || oids.size() > MAX_OIDS) {
      throw new IllegalArgumentException(
          METHOD + " oids: " + oids.size() + " (expected: 1 to " + MAX_OIDS + ")");
    }
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.oidList(oids), WireValues.bytes(before));
  }

  static LoadBeforeMany decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    List<Oid> oids = WireValues.oids(a.raw(0), METHOD + " argument 1 (oids)");
    if (oids.isEmpty() || oids.size() > MAX_OIDS) {
      throw WireValues.bad(
          METHOD + " argument 1 (oids)", oids.size() + " oids", "1 to " + MAX_OIDS + " oids");
    }
    return new LoadBeforeMany(msgid, oids, a.tid(1, "before"));
  }

  @Override
  public List<Optional<LoadResult>> decodeResult(Object value) {
    List<Object> entries = WireValues.sequence(value, METHOD + " result");
    if (entries.isEmpty() || entries.size() > oids.size()) {
      throw WireValues.bad(
          METHOD + " result", entries.size() + " entries", "1 to " + oids.size() + " entries");
    }
    List<Optional<LoadResult>> out = new ArrayList<>(entries.size());
    for (Object e : entries) {
      out.add(LoadBefore.decodeEntry(e, METHOD));
    }
    return out;
  }

  @Override
  public Object encodeResult(List<Optional<LoadResult>> result) {
    Object[] entries = new Object[result.size()];
    for (int i = 0; i < entries.length; i++) {
      entries[i] = LoadBefore.encodeEntry(result.get(i));
    }
    return Arrays.asList(entries);
  }
}
