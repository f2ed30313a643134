package org.zbig.zodb.storage;

import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PickleValues;

/**
 * One transaction from {@code iterator_next} (docs/protocol.md §3.6).
 *
 * @param tid its tid
 * @param status {@code " "} normal, {@code "p"} packed
 * @param user the user, {@code b"<path> <name>"}
 * @param description the description
 * @param extension the extension dict, str keys, as plain data any client decodes ({@link
 *     PickleValues#plainDict}: whatever a client put there reaches other clients in a form their
 *     unpicklers accept)
 */
public record TransactionInfo(
    Tid tid, String status, Bytes user, Bytes description, Map<String, Object> extension) {
  /** Checks the fields. */
  public TransactionInfo {
    Objects.requireNonNull(tid, "tid");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(description, "description");
    extension =
        PickleValues.plainDict(
            Objects.requireNonNull(extension, "extension"), MAX_EXTENSION_VALUES);
  }

  /** The most values kept of an extension; what is beyond becomes {@code '...'}. */
  public static final int MAX_EXTENSION_VALUES = 100_000;
}
