package org.zbig.zodb.record;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.zbig.zodb.pickle.PickleException;

class ReferencesTest {
  /**
   * A persistent id of None (a record the fuzz property mutated into one, seed 5865269824318999318)
   * is refused as a pickle error naming it; it was a NullPointerException.
   */
  @Test
  void aPersistentIdOfNoneIsAPickleError() {
    byte[] record = {
      (byte) 0x80,
      3,
      'N',
      '.', // class pickle: None
      (byte) 0x80,
      3,
      'N',
      'Q',
      '.' // state pickle: BINPERSID of None
    };
    assertThatThrownBy(() -> References.extract(record))
        .isInstanceOf(PickleException.class)
        .hasMessageContaining("persistent id None has no oid");
  }
}
