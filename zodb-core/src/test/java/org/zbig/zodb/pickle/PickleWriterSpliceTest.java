package org.zbig.zodb.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Splicing large byte strings changes nothing in the pickle, only how it is handed out. */
class PickleWriterSpliceTest {
  private static byte[] join(List<MemorySegment> pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (MemorySegment p : pieces) {
      out.writeBytes(p.toArray(ValueLayout.JAVA_BYTE));
    }
    return out.toByteArray();
  }

  @Test
  void splicedPickleEqualsCopiedPickleAndReferencesTheData() {
    byte[] big = new byte[3 << 20];
    big[0] = 1;
    big[big.length - 1] = 2;
    Bytes data = Bytes.wrap(big);
    Object value = Tuple.of(Tuple.of(Bytes.ofHex("00"), 7L), 0L, ".reply", Tuple.of(data, "x"));
    byte[] plain = new PickleWriter(false, v -> null).dump(value).toByteArray();
    PickleWriter w = new PickleWriter(false, v -> null).spliceBytesOfAtLeast(4096).dump(value);
    List<MemorySegment> pieces = w.pieces();
    assertThat(join(pieces)).isEqualTo(plain);
    assertThat(w.toByteArray()).isEqualTo(plain);
    assertThat(w.size()).isEqualTo(plain.length);
    assertThat(pieces).anySatisfy(p -> assertThat(p).isSameAs(data.segment()));
    assertThat(PickleReader.loads(plain)).isEqualTo(value);
  }

  @Test
  void aFailedDumpDropsItsSplices() {
    PickleWriter w = new PickleWriter(false, v -> null).spliceBytesOfAtLeast(1);
    w.dump(Bytes.ofHex("0102"));
    long before = w.size();
    assertThatThrownBy(() -> w.dump(Tuple.of(Bytes.ofHex("03"), new Object())))
        .isInstanceOf(PickleException.class);
    assertThat(w.size()).isEqualTo(before);
    assertThat(join(w.pieces()))
        .isEqualTo(new PickleWriter(false, v -> null).dump(Bytes.ofHex("0102")).toByteArray());
  }
}
