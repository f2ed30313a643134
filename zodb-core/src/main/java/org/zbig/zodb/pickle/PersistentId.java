package org.zbig.zodb.pickle;

/**
 * A persistent reference as it appears in a pickle ({@code PERSID}/{@code BINPERSID}) when the
 * reader has no hook that interprets it; the writer writes it back as the same reference.
 *
 * @param pid the persistent id value (for ZODB: a tuple, bytes or list; docs/formats.md §1.3)
 */
public record PersistentId(Object pid) {}
