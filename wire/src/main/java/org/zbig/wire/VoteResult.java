package org.zbig.wire;

import java.util.List;
import org.zbig.zodb.Oid;

/**
 * The result of {@code vote} (docs/protocol.md §3.3.8): oids whose committed data differs from what
 * the client sent (undo targets, server-side resolutions), and conflicts the client should resolve
 * and re-store before voting again. Both empty: the vote succeeded plainly.
 *
 * @param changed oids the client must drop from its cache
 * @param conflicts conflicts to resolve; if any, the server holds no lock and no tid yet
 */
public record VoteResult(List<Oid> changed, List<ResolvableConflict> conflicts) {
  /** The plain successful vote. */
  public static final VoteResult OK = new VoteResult(List.of(), List.of());

  /** Copies the lists. */
  public VoteResult {
    changed = List.copyOf(changed);
    conflicts = List.copyOf(conflicts);
  }
}
