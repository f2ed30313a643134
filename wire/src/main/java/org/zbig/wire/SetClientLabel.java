package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code set_client_label(label)}: a label for server logs (docs/protocol.md §3.1).
 *
 * @param label the label
 */
public record SetClientLabel(String label) implements OneWayRequest {
  /** The method name on the wire. */
  public static final String METHOD = "set_client_label";

  /** Checks the fields. */
  public SetClientLabel {
    Objects.requireNonNull(label, "label");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(label);
  }

  static SetClientLabel decode(Args a) {
    a.arity(1, 1);
    return new SetClientLabel(a.text(0, "label"));
  }
}
