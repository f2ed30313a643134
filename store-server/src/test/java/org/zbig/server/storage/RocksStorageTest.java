package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.pickle.Bytes;

/** The contract on RocksDB, plus what only a folder on disk can show. */
class RocksStorageTest extends StorageContract {
  @TempDir Path dir;

  @Override
  protected Storage open() {
    return KvStorage.rocks(dir.resolve("data"));
  }

  @Test
  void reopenedStorageKeepsHistoryTidsAndOids() {
    storage.commit(new Tid(77), META, List.of(Write.data(new Oid(4), Bytes.utf8("kept"))));
    storage.newOids(10);
    storage.close();
    storage = open();
    assertThat(storage.lastTransaction()).isEqualTo(new Tid(77));
    assertThat(storage.loadSerial(new Oid(4), new Tid(77))).isEqualTo(Bytes.utf8("kept"));
    assertThat(storage.newOids(1)).containsExactly(new Oid(15));
    assertThat(storage.objectCount()).isEqualTo(1);
  }

  @Test
  void aSecondOpenOfTheSameFolderIsRefusedClearly() {
    assertThatThrownBy(() -> KvStorage.rocks(dir.resolve("data")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("cannot open data folder");
  }
}
