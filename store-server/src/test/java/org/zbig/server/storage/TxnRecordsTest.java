package org.zbig.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.CorruptRecordException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PickleWriter;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;

class TxnRecordsTest {
  private static final Tid TID = new Tid(0x03ab_0000_0000_0001L);

  private static Bytes text(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] pickle(Object v) {
    return new PickleWriter(false, x -> null).dump(v).toByteArray();
  }

  @Test
  void aRecordReadsBackAsWritten() {
    Map<String, Object> ext = new LinkedHashMap<>();
    ext.put("k", 7L);
    TxnMeta meta = new TxnMeta(text("/ alice"), text("fix"), ext, " ");
    byte[] rec = TxnRecords.encode(meta, List.of(new Oid(1), new Oid(2)), 99);

    TxnRecords.Fields f = TxnRecords.decode(TID, rec);

    assertThat(f.status()).isEqualTo(" ");
    assertThat(f.user()).isEqualTo(text("/ alice"));
    assertThat(f.description()).isEqualTo(text("fix"));
    assertThat(f.extension()).containsExactly(Map.entry("k", 7L));
    assertThat(f.oids()).containsExactly(new Oid(1), new Oid(2));
    assertThat(f.size()).isEqualTo(99);
    assertThat(f.info(TID, true).status()).isEqualTo("p");
    assertThat(TxnRecords.decodeExtension(TID, TxnRecords.encodeExtension(ext))).isEqualTo(ext);
  }

  @Test
  void aRecordWithoutItsSizeHasSizeZero() {
    byte[] rec = pickle(Tuple.of(" ", text("u"), text("d"), new LinkedHashMap<>(), List.of()));
    assertThat(TxnRecords.decode(TID, rec).size()).isZero();
  }

  @Test
  void damageIsACorruptRecordNamingTheTransactionFieldAndValue() {
    assertThatThrownBy(() -> TxnRecords.decode(TID, new byte[] {1, 2, 3}))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("tid " + TID.toHex())
        .hasMessageContaining("not a pickle");
    assertThatThrownBy(() -> TxnRecords.decode(TID, pickle(Tuple.of(" ", text("u")))))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("transaction record: tuple")
        .hasMessageContaining("expected: a tuple of 5 or 6");
    assertThatThrownBy(() ->
            TxnRecords.decode(
                TID,
                pickle(
                    Tuple.of(
                        " ",
                        text("u"),
                        text("d"),
                        new LinkedHashMap<>(),
                        List.of(Bytes.wrap(new byte[7]))))))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("oid: bytes")
        .hasMessageContaining("expected: 8 bytes");
    Map<Object, Object> badKeys = new LinkedHashMap<>();
    badKeys.put(1L, "x");
    assertThatThrownBy(() -> TxnRecords.decodeExtension(TID, pickle(badKeys)))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("extension key: int 1 (expected: str)");
    assertThatThrownBy(() ->
            TxnRecords.decode(TID, pickle(Tuple.of(5L, text("u"), text("d"), Map.of(), List.of()))))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("status: int 5 (expected: str)");
  }

  @Test
  void aPickledDictCallCountsAsTheDictItMakes() {
    PyObject call =
        new PyObject(
            Global.of("builtins.dict"),
            Tuple.of(List.of(Tuple.of("a", 1L), Tuple.of("b", 2L))),
            PyObject.Kind.REDUCE);
    assertThat(TxnRecords.decodeExtension(TID, pickle(call)))
        .containsExactly(Map.entry("a", 1L), Map.entry("b", 2L));
  }
}
