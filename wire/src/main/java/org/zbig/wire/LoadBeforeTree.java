package org.zbig.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.LoadResult;

/**
 * {@code zbigLoadBeforeTree(oid, before, depth)}: the {@link LoadBefore} of an object and of the
 * objects it refers to, {@code depth} references deep, in one call: an extension of this project's
 * servers (docs/protocol.md §3.2), which say so in {@code get_info} ({@link #INFO_KEY}). A client
 * that reads a whole structure whose shape only its records tell (a ZBlk1 block: its chunk table's
 * root, then its buckets, then the chunks) gets it in one round trip instead of one per level.
 *
 * <p>The result is a list of {@code (oid, data, start, end)} entries, each what {@link LoadBefore}
 * answers for that oid, breadth first from {@code oid}, each object once: the object itself (depth
 * 0), then the objects its record refers to (depth 1, in pickle order), and so on; only the records
 * of depths below {@code depth} are read for references. An object without a revision before the
 * bound has no entry (the list is empty when {@code oid} itself has none), and a record that is not
 * a pair of pickles refers to nothing. The list stops once the records it holds reach {@link
 * #REPLY_BYTES} or {@link #MAX_RECORDS} entries: what it leaves out the client loads as usual.
 *
 * @param msgid the id the reply echoes
 * @param oid the object to start from
 * @param before the exclusive upper bound, for all of them
 * @param depth how many references deep to go, 0 to {@link #MAX_DEPTH}
 */
public record LoadBeforeTree(MsgId msgid, Oid oid, Tid before, int depth)
    implements SyncRequest<List<LoadBeforeTree.Found>> {
  /** The method name on the wire. */
  public static final String METHOD = "zbigLoadBeforeTree";

  /** The {@code get_info} key, true on servers that answer this call. */
  public static final String INFO_KEY = "zbig_load_before_tree";

  /** The deepest a call may ask for. */
  public static final int MAX_DEPTH = 8;

  /** The most entries a reply holds. */
  public static final int MAX_RECORDS = 4096;

  /** A reply stops adding records once their data reach this many bytes. */
  public static final long REPLY_BYTES = LoadBeforeMany.REPLY_BYTES;

  /**
   * One entry of the result.
   *
   * @param oid the object
   * @param result its {@link LoadBefore} result
   */
  public record Found(Oid oid, LoadResult result) {
    /** Checks the fields. */
    public Found {
      Objects.requireNonNull(oid, "oid");
      Objects.requireNonNull(result, "result");
    }
  }

  /** Checks the fields. */
  public LoadBeforeTree {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(before, "before");
    if (depth < 0 || depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          METHOD + " depth: " + depth + " (expected: 0 to " + MAX_DEPTH + ")");
    }
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(before), (long) depth);
  }

  static LoadBeforeTree decode(MsgId msgid, Args a) {
    a.arity(3, 3);
    long depth = a.integer(2, "depth");
    if (depth < 0 || depth > MAX_DEPTH) {
      throw WireValues.bad(METHOD + " argument 3 (depth)", depth, "0 to " + MAX_DEPTH);
    }
    return new LoadBeforeTree(msgid, a.oid(0, "oid"), a.tid(1, "before"), (int) depth);
  }

  @Override
  public List<Found> decodeResult(Object value) {
    List<Object> entries = WireValues.sequence(value, METHOD + " result");
    if (entries.size() > MAX_RECORDS) {
      throw WireValues.bad(
          METHOD + " result", entries.size() + " entries", "at most " + MAX_RECORDS + " entries");
    }
    List<Found> out = new ArrayList<>(entries.size());
    for (Object e : entries) {
      List<Object> t = WireValues.sequence(e, 4, METHOD + " entry");
      // (oid, data, start, end): the oid, then what loadBefore answers
      out.add(
          new Found(
              WireValues.oid(t.get(0), METHOD + " oid"),
              LoadBefore.decodeEntry(t.subList(1, 4), METHOD).orElseThrow()));
    }
    return out;
  }

  @Override
  public Object encodeResult(List<Found> result) {
    Object[] entries = new Object[result.size()];
    for (int i = 0; i < entries.length; i++) {
      LoadResult r = result.get(i).result();
      entries[i] =
          Tuple.of(
              WireValues.bytes(result.get(i).oid()),
              r.data(),
              WireValues.bytes(r.start()),
              WireValues.bytesOrNone(r.end()));
    }
    return Arrays.asList(entries);
  }
}
