package org.zbig.server.storage;

/** The contract on the in-memory storage. */
class KvStorageInMemoryTest extends StorageContract {
  @Override
  protected Storage open() {
    return KvStorage.inMemory();
  }
}
