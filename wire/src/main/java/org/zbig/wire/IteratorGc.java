package org.zbig.wire;

import java.util.ArrayList;
import java.util.List;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code iterator_gc(iids)}: forgets iterators; ids already gone are ignored (docs/protocol.md
 * §3.6).
 *
 * @param iids the iterator ids
 */
public record IteratorGc(List<Long> iids) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "iterator_gc";

  /** Copies the ids. */
  public IteratorGc {
    iids = List.copyOf(iids);
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(new ArrayList<Object>(iids));
  }

  static IteratorGc decode(Args a) {
    a.arity(1);
    List<Long> ids = new ArrayList<>();
    List<Object> raw = a.sequence(0, "iids");
    for (int i = 0; i < raw.size(); i++) {
      ids.add(WireValues.integer(raw.get(i), METHOD + " iids[" + i + "]"));
    }
    return new IteratorGc(ids);
  }
}
