package org.zbig.client.bigfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zbig.zblk.ZBlk0Codec;

class RecordBuffersTest {
  @Test
  void buffersFitARecordComeBackLastInFirstOutAndAtMost64MiBOfThemAreKept() {
    RecordBuffers b = new RecordBuffers(2 << 20);
    assertThat(b.keep()).isEqualTo(32); // the blocks of 64 MiB, an import's checkpoint
    MemorySegment x = b.take();
    MemorySegment y = b.take();
    assertThat(x.byteSize()).isEqualTo(ZBlk0Codec.maxRecordSize(2 << 20));
    assertThat(b.made()).isEqualTo(2);
    b.give(x);
    b.give(y);
    b.give(y); // given twice: kept once, or two blocks would share it
    assertThat(b.kept()).isEqualTo(2);
    assertThat(b.take()).isSameAs(y);
    assertThat(b.take()).isSameAs(x);
    assertThat(b.take()).isNotSameAs(x).isNotSameAs(y);
    assertThat(b.made()).isEqualTo(3);
    b.give(MemorySegment.ofArray(new byte[16])); // not one of its size: not kept
    assertThat(b.kept()).isZero();
    List<MemorySegment> taken = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      taken.add(b.take());
    }
    taken.forEach(b::give);
    assertThat(b.kept()).isEqualTo(b.keep());
  }

  @Test
  void filesOfOneBlockSizeShareOneSetThatKeepsAtLeastOneBuffer() {
    assertThat(RecordBuffers.shared(4096)).isSameAs(RecordBuffers.shared(4096));
    assertThat(RecordBuffers.shared(4096)).isNotSameAs(RecordBuffers.shared(8192));
    assertThat(new RecordBuffers(1L << 30).keep()).isEqualTo(1);
    assertThat(new RecordBuffers(64 << 10).keep()).isEqualTo(64);
  }
}
