package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.zbig.wire.vectors.ZeoVectors;
import org.zbig.zodb.error.ProtocolException;

/**
 * Whatever bytes arrive, decoding returns a message or throws a {@link ProtocolException}: never
 * another exception, an error, or a hang.
 */
class FuzzProperties {
  private static final List<ZeoVectors.Frame> FRAMES = ZeoVectors.messages().toList();

  @Provide
  Arbitrary<ZeoVectors.Frame> frames() {
    return Arbitraries.of(FRAMES);
  }

  @Provide
  Arbitrary<MessageCodec> codecs() {
    return Arbitraries.of(Encoding.values())
        .flatMap(e -> Arbitraries.of(Role.values()).map(r -> new MessageCodec(e, r)));
  }

  private static void decodesOrRefuses(MessageCodec codec, byte[] payload) {
    try {
      assertThat(codec.decode(payload, 0, payload.length)).isNotNull();
    } catch (ProtocolException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 2000)
  void randomBytes(@ForAll("codecs") MessageCodec codec, @ForAll @Size(max = 64) byte[] payload) {
    decodesOrRefuses(codec, payload);
  }

  @Property(tries = 3000)
  void mutatedRecordedFrames(
      @ForAll("frames") ZeoVectors.Frame frame,
      @ForAll("codecs") MessageCodec codec,
      @ForAll @Size(min = 1, max = 4) List<Integer> positions,
      @ForAll byte value,
      @ForAll boolean truncate) {
    byte[] p = frame.payload();
    if (p.length == 0) {
      return;
    }
    for (int pos : positions) {
      p[Math.floorMod(pos, p.length)] = value;
    }
    if (truncate) {
      p = java.util.Arrays.copyOf(p, Math.floorMod(positions.getFirst(), p.length));
    }
    decodesOrRefuses(codec, p);
  }
}
