package org.zbig.client.virtmem;

/** The states of a page of a file handle, as wendelin.core's virtmem names them. */
public enum PageState {
  /** No RAM holds the block (never loaded, evicted, or dropped after invalidation). */
  EMPTY,
  /** A thread is loading the block into the page, without the lock held. */
  LOADING,
  /** The block was invalidated while loading: the loader drops the result and loads again. */
  LOADING_INVALIDATED,
  /** The page holds the block as stored. */
  LOADED,
  /** The page may have been written through a writable mapping since it was loaded or stored. */
  DIRTY
}
