package org.zbig.zodb.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.Tuple;

/** Class metadata forms (docs/formats.md §1.2) and persistent reference forms (1.3). */
class RecordFormsTest {
  static byte[] hex(String h) {
    return HexFormat.of().parseHex(h.replace(" ", ""));
  }

  @Test
  void classWithNewArgsForm() {
    // docs/formats.md §1.2 example: class __main__.PN with __getnewargs__ returning (5,), then
    // state None
    byte[] rec = hex("8003 63 5f5f6d61696e5f5f0a504e0a 7100 4b05 85 7101 86 7102 2e 8003 4e 2e");
    DataRecord r = DataRecord.decode(rec);
    assertThat(r.classMeta())
        .isEqualTo(
            new ClassMeta(new Global("__main__", "PN"), ClassMeta.Form.CLASS_ARGS, Tuple.of(5L)));
    assertThat(r.state()).isNull();
    assertThat(r.encode()).isEqualTo(rec);
  }

  @Test
  void namesAndArgsForm() {
    ClassMeta meta = new ClassMeta(new Global("mymod", "PClass"), ClassMeta.Form.NAMES_ARGS, null);
    DataRecord r = new DataRecord(meta, Map.of());
    DataRecord back = DataRecord.decode(r.encode());
    assertThat(back.classMeta()).isEqualTo(meta);
    assertThat(back.classMeta().className()).isEqualTo("mymod.PClass");
  }

  @Test
  void badClassMetadataIsRefused() {
    byte[] rec = hex("8003 4b05 2e 8003 4e 2e"); // class pickle is the int 5
    assertThatThrownBy(() -> DataRecord.decode(rec))
        .isInstanceOf(PickleException.class)
        .hasMessageContaining(
            "class metadata: 5 (expected: class, (class, args) or ((module, name), args))");
    byte[] trailing = hex("8003 63 6d0a4b0a 2e 8003 4e 2e 00");
    assertThatThrownBy(() -> DataRecord.decode(trailing))
        .hasMessageContaining("1 bytes after the state pickle");
  }

  @Test
  void everyReferenceFormRoundTripsAndOnlyStrongOnesAreExtracted() {
    List<Object> refs = new ArrayList<>();
    refs.add(Reference.OidClass.of(new Oid(1), "persistent.mapping.PersistentMapping"));
    refs.add(new Reference.OidOnly(new Oid(2)));
    refs.add(new Reference.Weak(new Oid(3), null));
    refs.add(new Reference.Weak(new Oid(4), "other"));
    refs.add(new Reference.CrossDatabase("other", new Oid(5)));
    refs.add(new Reference.CrossDatabaseClass("other", new Oid(6), new Global("m", "K")));
    refs.add(new Reference.LegacyWeak(new Oid(7)));
    refs.add(Reference.OidClass.of(new Oid(1), "persistent.mapping.PersistentMapping"));
    Map<Object, Object> state = new LinkedHashMap<>();
    state.put("refs", refs);
    DataRecord r = new DataRecord(ClassMeta.of("persistent.mapping.PersistentMapping"), state);

    byte[] bytes = r.encode();
    assertThat(DataRecord.decode(bytes)).isEqualTo(r);
    assertThat(References.extract(bytes)).containsExactly(new Oid(1), new Oid(2), new Oid(1));
  }

  @Test
  void repeatedReferenceSharesTheOidBytesThroughTheMemo() {
    Reference a = Reference.OidClass.of(new Oid(9), "BTrees.LOBTree.LOBucket");
    Reference b = Reference.OidClass.of(new Oid(9), "BTrees.LOBTree.LOBucket");
    byte[] bytes =
        new DataRecord(ClassMeta.of("BTrees.LOBTree.LOBTree"), Tuple.of(Tuple.of(a), b)).encode();
    String h = HexFormat.of().formatHex(bytes);
    // oid bytes written once (SHORT_BINBYTES 8), the second reference is BINGET oid, BINGET class
    assertThat(h.split("4308", -1)).hasSize(2);
    assertThat(h).contains("680168028671");
  }

  @Test
  void persistentIdsOfPython2AreAccepted() {
    // protocol 1: oid as SHORT_BINSTRING inside (oid, class), BINPERSID
    byte[] rec = hex("63 6d0a4b0a 71 01 2e 28 55 08 0000000000000003 63 6d0a4b0a 74 51 2e");
    DataRecord r = DataRecord.decode(rec);
    assertThat(r.state()).isEqualTo(new Reference.OidClass(new Oid(3), new Global("m", "K")));
    assertThat(References.extract(rec)).containsExactly(new Oid(3));
  }

  @Test
  void oidsMustBeEightBytes() {
    byte[] rec = hex("8003 63 6d0a4b0a 71 00 2e 8003 43 03 010203 51 2e");
    assertThatThrownBy(() -> DataRecord.decode(rec))
        .isInstanceOf(PickleException.class)
        .hasMessageContaining("oid in persistent id: b'\\x01\\x02\\x03' (expected: 8 bytes)");
    assertThatThrownBy(() -> References.extract(rec)).isInstanceOf(PickleException.class);
    assertThat(Bytes.EMPTY.length()).isZero();
  }
}
