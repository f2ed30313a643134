package org.zbig.server.storage;

/** The contract on the in-memory storage. */
class MemoryStorageTest extends StorageContract {
  @Override
  protected Storage open() {
    return KvStorage.inMemory();
  }
}
