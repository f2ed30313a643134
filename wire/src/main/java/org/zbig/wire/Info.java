package org.zbig.wire;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code info(dict)}: updates the client's copy of the storage description, e.g. {@code {'length':
 * n, 'size': bytes}} after a commit or a pack (docs/protocol.md §4.1).
 *
 * @param info the keys to update
 */
public record Info(Map<String, Object> info) implements ServerCall {
  /** The method name on the wire. */
  public static final String METHOD = "info";

  /** Checks the fields. */
  public Info {
    Objects.requireNonNull(info, "info");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(info);
  }

  static Info decode(Args a) {
    a.arity(1);
    return new Info(a.dict(0, "info"));
  }
}
