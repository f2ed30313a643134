package org.zbig.server.storage;

import java.util.Arrays;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** A {@link Kv} in memory, for tests and the in-memory storage. */
final class MemoryKv implements Kv {
  private final ConcurrentSkipListMap<byte[], byte[]> map =
      new ConcurrentSkipListMap<>(Arrays::compareUnsigned);

  @Override
  public byte[] get(byte[] key) {
    return map.get(key);
  }

  @Override
  public synchronized void write(Map<byte[], byte[]> entries, boolean sync) {
    for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
      if (e.getValue() == null) {
        map.remove(e.getKey());
      } else {
        map.put(e.getKey(), e.getValue());
      }
    }
  }

  @Override
  public Cursor cursor(boolean checked) { // nothing to check in memory
    return new Cursor() {
      private Map.Entry<byte[], byte[]> at;

      @Override
      public void seek(byte[] key) {
        at = map.ceilingEntry(key);
      }

      @Override
      public void seekForPrev(byte[] key) {
        at = map.floorEntry(key);
      }

      @Override
      public boolean valid() {
        return at != null;
      }

      @Override
      public byte[] key() {
        return at.getKey();
      }

      @Override
      public byte[] value() {
        return at.getValue();
      }

      @Override
      public void next() {
        at = map.higherEntry(at.getKey());
      }

      @Override
      public void prev() {
        NavigableMap<byte[], byte[]> head = map.headMap(at.getKey(), false);
        at = head.isEmpty() ? null : head.lastEntry();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {}
}
