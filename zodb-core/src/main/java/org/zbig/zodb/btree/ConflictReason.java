package org.zbig.zodb.btree;

/**
 * Why B-tree conflict resolution refused to merge: the reason codes of ZODB's {@code
 * BTreesConflictError}, with its messages. "committed" and "mine" are the two changed states, "old"
 * the state both started from.
 */
public enum ConflictReason {
  /** 0: the {@code next} link differs, i.e. a bucket was split (or unlinked) by either side. */
  BUCKET_SPLIT(0, "Conflicting bucket split"),
  /** 1: both changed the value of the same key (even to the same new value). */
  CHANGED_BY_BOTH(1, "Conflicting changes"),
  /** 2: committed changed a key's value, mine deleted the key. */
  CHANGED_COMMITTED_DELETED_MINE(2, "Conflicting delete and change"),
  /** 3: mine changed a key's value, committed deleted the key. */
  CHANGED_MINE_DELETED_COMMITTED(3, "Conflicting delete and change"),
  /** 4: both inserted the same key, or both deleted the same key(s) before a common next key. */
  INSERTED_OR_DELETED_BY_BOTH(4, "Conflicting inserts or deletes"),
  /** 5: both deleted the same key. */
  DELETED_BY_BOTH(5, "Conflicting deletes"),
  /** 6: both inserted the same key after the end of old. */
  INSERTED_BY_BOTH(6, "Conflicting inserts"),
  /** 7: after mine's last key: both deleted a key, or committed changed what mine deleted. */
  TAIL_DELETED_BY_MINE(7, "Conflicting deletes, or delete and change"),
  /** 8: after committed's last key: both deleted a key, or mine changed what committed deleted. */
  TAIL_DELETED_BY_COMMITTED(8, "Conflicting deletes, or delete and change"),
  /** 9: both deleted old's last keys. */
  TAIL_DELETED_BY_BOTH(9, "Conflicting deletes"),
  /** 10: the merged bucket would be empty (it cannot be unlinked from its tree here). */
  EMPTY_RESULT(10, "Empty bucket from deleting all keys"),
  /** 11: a tree node state that is not an inline bucket (only buckets are merged). */
  TREE_NODE(11, "Conflicting changes in an internal BTree node"),
  /** 12: committed or mine is empty (its transaction unlinked the bucket). */
  EMPTY_SIDE(12, "Empty bucket in a transaction"),
  /**
   * 13: one side deleted a key below every key it kept: its smallest key changed, which the parent
   * node may use as a separator.
   */
  FIRST_KEY_DELETED(13, "Delete of first key");

  private final int code;
  private final String message;

  ConflictReason(int code, String message) {
    this.code = code;
    this.message = message;
  }

  /** Python's reason code ({@code BTreesConflictError.reason}). */
  public int code() {
    return code;
  }

  /** Python's message for the code ({@code BTreesConflictError.msgs[reason]}). */
  public String message() {
    return message;
  }

  /**
   * The reason with {@code code}.
   *
   * @throws IllegalArgumentException if there is none
   */
  public static ConflictReason of(long code) {
    for (ConflictReason r : values()) {
      if (r.code == code) {
        return r;
      }
    }
    throw new IllegalArgumentException("BTrees conflict reason: " + code + " (expected: 0..13)");
  }
}
