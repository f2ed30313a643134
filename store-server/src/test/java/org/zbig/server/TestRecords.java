package org.zbig.server;

import java.util.LinkedHashMap;
import java.util.Map;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/** Records for the server's tests, as ZODB would write them. */
public final class TestRecords {
  private TestRecords() {}

  /** A persistent-mapping record tagged {@code tag}, referring to {@code refs} in that order. */
  public static Bytes mapping(String tag, Oid... refs) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("tag", tag);
    for (Oid r : refs) {
      data.put("ref" + r.value(), new Reference.OidOnly(r));
    }
    return Bytes.wrap(
        new DataRecord(ClassMeta.of("persistent.mapping.PersistentMapping"), Map.of("data", data))
            .encode());
  }
}
