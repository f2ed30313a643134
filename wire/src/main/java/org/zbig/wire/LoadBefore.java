package org.zbig.wire;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.LoadResult;

/**
 * {@code loadBefore(oid, tid)}: the newest revision of {@code oid} older than {@code before}, or
 * None if every revision is at or after it (docs/protocol.md §3.2). Python clients use the tuple
 * {@code (oid, before)} as msgid.
 *
 * @param msgid the id the reply echoes
 * @param oid the object
 * @param before the exclusive upper bound
 */
public record LoadBefore(MsgId msgid, Oid oid, Tid before)
    implements SyncRequest<Optional<LoadResult>> {
  /** The method name on the wire. */
  public static final String METHOD = "loadBefore";

  /** Checks the fields. */
  public LoadBefore {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(before, "before");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(before));
  }

  static LoadBefore decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    return new LoadBefore(msgid, a.oid(0, "oid"), a.tid(1, "before"));
  }

  @Override
  public Optional<LoadResult> decodeResult(Object value) {
    return decodeEntry(value, METHOD);
  }

  @Override
  public Object encodeResult(Optional<LoadResult> result) {
    return encodeEntry(result);
  }

  /** None, or a {@code (data, start, end)} triple, as {@code method}'s result or entry. */
  static Optional<LoadResult> decodeEntry(Object value, String method) {
    if (value == null) {
      return Optional.empty();
    }
    String[] l = LABELS.computeIfAbsent(method, LoadBefore::labels);
    List<Object> t = WireValues.sequence(value, 3, l[0]);
    return Optional.of(
        new LoadResult(
            WireValues.bytes(t.get(0), l[1]),
            WireValues.tid(t.get(1), l[2]),
            WireValues.tidOrNull(t.get(2), l[3])));
  }

  /**
   * The names an entry's parts have in errors, by method: made once, not for each of the entries of
   * a batched reply (a profile of ZBlk1 reads had building them at 19% of the network thread's
   * completing of a block's batched reply).
   */
  private static final Map<String, String[]> LABELS = new ConcurrentHashMap<>();

  private static String[] labels(String method) {
    return new String[] {method + " result", method + " data", method + " start", method + " end"};
  }

  /** The wire value of one loadBefore result: None or {@code (data, start, end)}. */
  static Object encodeEntry(Optional<LoadResult> result) {
    return result
        .map(r ->
            (Object)
                Tuple.of(r.data(), WireValues.bytes(r.start()), WireValues.bytesOrNone(r.end())))
        .orElse(null);
  }

  /** The request as Python clients send it, with msgid {@code (oid, before)}. */
  public static LoadBefore of(Oid oid, Tid before) {
    return new LoadBefore(MsgId.of(oid, before), oid, before);
  }
}
