package org.zbig.wire;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * One transaction from {@code iterator_next} (protocol spec 3.6).
 *
 * @param tid its tid
 * @param status {@code " "} normal, {@code "p"} packed
 * @param user the user, {@code b"<path> <name>"}
 * @param description the description
 * @param extension the extension dict, str keys
 */
public record TransactionInfo(
    Tid tid, String status, Bytes user, Bytes description, Map<String, Object> extension) {
  /** Checks the fields. */
  public TransactionInfo {
    Objects.requireNonNull(tid, "tid");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(extension, "extension");
  }
}
