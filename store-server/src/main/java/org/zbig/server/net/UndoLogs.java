package org.zbig.server.net;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.server.storage.Storage;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.storage.TransactionInfo;

/** The answers to {@code undoLog} and {@code undoInfo} (docs/protocol.md §3.4). */
final class UndoLogs {
  private UndoLogs() {}

  /** The {@code undoLog} entry of a transaction (docs/protocol.md §3.4). */
  private static Map<String, Object> entry(Storage storage, TransactionInfo t) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("id", Bytes.wrap(Base64.getEncoder().encode(t.tid().toBytes())));
    d.put("time", t.tid().toEpochSeconds());
    d.put("user_name", t.user());
    d.put("description", t.description());
    d.put("size", storage.transactionSize(t.tid()));
    d.putAll(t.extension());
    return d;
  }

  /**
   * {@code undoLog(first, last)} and, with a specification, {@code undoInfo}: the undoable
   * transactions newest first, from the {@code first}th to before the {@code last}th ({@code last}
   * negative: {@code -last} entries), stopping at the first packed one.
   */
  static List<Map<String, Object>> entries(
      Storage storage, long first, long last, Map<String, Object> spec) {
    long end = last < 0 ? first - last : last;
    List<Map<String, Object>> out = new ArrayList<>();
    long i = 0;
    for (TransactionInfo t : storage.transactionsNewestFirst()) {
      if (i >= end) {
        break;
      }
      if ("p".equals(t.status())) {
        break;
      }
      if (!" ".equals(t.status())) {
        continue;
      }
      Map<String, Object> d = entry(storage, t);
      if (spec != null && !matches(d, spec)) {
        continue;
      }
      if (i >= first) {
        out.add(d);
      }
      i++;
    }
    return out;
  }

  /**
   * Whether an undo entry matches an {@code undoInfo} specification; a pickled {@code
   * ZopeUndo.Prefix} matches a {@code user_name} whose path starts with its path.
   */
  private static boolean matches(Map<String, Object> entry, Map<String, Object> spec) {
    for (Map.Entry<String, Object> e : spec.entrySet()) {
      Object have = entry.get(e.getKey());
      Object want = e.getValue();
      if (want instanceof PyObject o && o.state() instanceof Map<?, ?> state) {
        if (!(state.get("value") instanceof List<?> prefix)) {
          return false;
        }
        String path = have instanceof Bytes b ? b.latin1() : String.valueOf(have);
        List<String> parts = new ArrayList<>(List.of(path.split("/", -1)));
        String lastPart = parts.get(parts.size() - 1);
        if (lastPart.contains(" ")) {
          parts.set(parts.size() - 1, lastPart.substring(0, lastPart.lastIndexOf(' ')));
        }
        List<String> want2 = prefix.stream().map(String::valueOf).toList();
        if (parts.size() < want2.size() || !parts.subList(0, want2.size()).equals(want2)) {
          return false;
        }
      } else if (!Objects.equals(
          have instanceof Bytes b && want instanceof String ? b.latin1() : have, want)) {
        return false;
      }
    }
    return true;
  }
}
