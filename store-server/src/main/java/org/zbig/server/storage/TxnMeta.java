package org.zbig.server.storage;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Bytes;

/**
 * The metadata of a transaction (docs/protocol.md §3.3.1).
 *
 * @param user {@code b"<path> <name>"}
 * @param description the description
 * @param extension the extension dict, str keys
 * @param status {@code " "} normal, {@code "p"} packed
 */
public record TxnMeta(Bytes user, Bytes description, Map<String, Object> extension, String status) {
  /** Checks and copies the fields. */
  public TxnMeta {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(description, "description");
    extension = Map.copyOf(extension);
    Objects.requireNonNull(status, "status");
  }
}
