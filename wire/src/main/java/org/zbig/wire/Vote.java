package org.zbig.wire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code vote(txn_id)}: checks and stages the transaction under the commit lock, possibly answered
 * later (docs/protocol.md §3.3.8).
 *
 * @param msgid the id the reply echoes
 * @param txn the client's transaction id
 */
public record Vote(MsgId msgid, long txn) implements SyncRequest<VoteResult> {
  /** The method name on the wire. */
  public static final String METHOD = "vote";

  /** Checks the fields. */
  public Vote {
    Objects.requireNonNull(msgid, "msgid");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(txn);
  }

  static Vote decode(MsgId msgid, Args a) {
    a.arity(1, 1);
    return new Vote(msgid, a.integer(0, "txn"));
  }

  @Override
  public VoteResult decodeResult(Object value) {
    if (value == null) {
      return VoteResult.OK;
    }
    List<Oid> changed = new ArrayList<>();
    List<ResolvableConflict> conflicts = new ArrayList<>();
    List<Object> items = WireValues.sequence(value, METHOD + " result");
    for (int i = 0; i < items.size(); i++) {
      String what = METHOD + " result[" + i + "]";
      if (items.get(i) instanceof Map<?, ?>) {
        Map<String, Object> d = WireValues.dict(items.get(i), what);
        List<Object> serials = WireValues.sequence(d.get("serials"), 2, what + " serials");
        conflicts.add(
            new ResolvableConflict(
                WireValues.oid(d.get("oid"), what + " oid"),
                WireValues.tid(serials.get(0), what + " serials[0]"),
                WireValues.tid(serials.get(1), what + " serials[1]"),
                WireValues.bytes(d.get("data"), what + " data")));
      } else {
        changed.add(WireValues.oid(items.get(i), what));
      }
    }
    return new VoteResult(changed, conflicts);
  }

  @Override
  public Object encodeResult(VoteResult result) {
    List<Object> out = WireValues.oidList(result.changed());
    for (ResolvableConflict c : result.conflicts()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("oid", WireValues.bytes(c.oid()));
      d.put("serials", Tuple.of(WireValues.bytes(c.committed()), WireValues.bytes(c.read())));
      d.put("data", c.data());
      out.add(d);
    }
    return out;
  }
}
