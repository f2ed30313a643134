package org.zbig.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.zbig.zodb.error.CorruptRecordException;

/**
 * Python's {@code persistent.mapping.PersistentMapping}, the class of the root object: a dict of
 * pickle values and persistent objects whose state is {@code {'data': {...}}} (docs/formats.md §2).
 * Keys are usually {@code String}s (Python {@code str}).
 */
public class PersistentMapping extends Persistent {
  private Map<Object, Object> data = new LinkedHashMap<>();

  /** An empty mapping. */
  public PersistentMapping() {}

  /** The value of {@code key}, or null. */
  public Object get(Object key) {
    readAccess();
    return data.get(key);
  }

  /** The value of {@code key} cast to {@code type}, or null. */
  public <T> T get(Object key, Class<T> type) {
    return type.cast(get(key));
  }

  /** Whether {@code key} is present. */
  public boolean containsKey(Object key) {
    readAccess();
    return data.containsKey(key);
  }

  /** Sets {@code key} to {@code value}; returns the previous value or null. */
  public Object put(Object key, Object value) {
    writeAccess();
    return data.put(key, value);
  }

  /** Removes {@code key}; returns its value or null. */
  public Object remove(Object key) {
    readAccess();
    if (!data.containsKey(key)) {
      return null;
    }
    writeAccess();
    return data.remove(key);
  }

  /** The number of entries. */
  public int size() {
    readAccess();
    return data.size();
  }

  /** The keys, a snapshot. */
  public Set<Object> keySet() {
    readAccess();
    return Set.copyOf(data.keySet());
  }

  /** The entries, a snapshot in insertion order. */
  public List<Map.Entry<Object, Object>> entries() {
    readAccess();
    return data.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
  }

  @Override
  protected Object getState() {
    Map<Object, Object> state = new LinkedHashMap<>();
    state.put("data", new LinkedHashMap<>(data));
    return state;
  }

  @Override
  protected void setState(Object state) {
    if (!(state instanceof Map<?, ?> m)) {
      throw new CorruptRecordException(oid, serial, "PersistentMapping state is not a dict", null);
    }
    Object d = m.containsKey("data") ? m.get("data") : m.get("_container"); // very old databases
    if (!(d instanceof Map<?, ?> dict)) {
      throw new CorruptRecordException(
          oid, serial, "PersistentMapping state has no 'data' dict", null);
    }
    data = new LinkedHashMap<>(dict);
  }

  @Override
  protected void clearState() {
    data = new LinkedHashMap<>();
  }
}
