package org.zbig.wire;

import java.util.List;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code invalidateTransaction(tid, oids)}: another connection committed {@code tid}, changing
 * {@code oids} (docs/protocol.md §4.1). Per connection the tids strictly increase.
 *
 * @param tid the committed transaction
 * @param oids the changed objects (duplicates are harmless)
 */
public record InvalidateTransaction(Tid tid, List<Oid> oids) implements ServerCall {
  /** The method name on the wire. */
  public static final String METHOD = "invalidateTransaction";

  /** Checks the fields. */
  public InvalidateTransaction {
    Objects.requireNonNull(tid, "tid");
    oids = List.copyOf(oids);
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(tid), WireValues.oidList(oids));
  }

  static InvalidateTransaction decode(Args a) {
    a.arity(2);
    return new InvalidateTransaction(
        a.tid(0, "tid"), WireValues.oids(a.raw(1), METHOD + " argument 2 (oids)"));
  }
}
