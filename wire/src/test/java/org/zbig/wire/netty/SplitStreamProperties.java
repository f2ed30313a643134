package org.zbig.wire.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.Role;
import org.zbig.wire.vectors.ZeoVectors;
import org.zbig.wire.vectors.ZeoVectors.Frame;

/**
 * However a byte stream is cut into reads, the frame and message decoders see the same messages.
 */
class SplitStreamProperties {
  /** One direction of one recorded connection, after the handshake. */
  record Stream1(String name, byte[] bytes, List<Message> expected, MessageCodec codec) {
    @Override
    public String toString() {
      return name;
    }
  }

  @Provide
  Arbitrary<Stream1> streams() {
    List<Stream1> all =
        Stream.concat(ZeoVectors.files("pickle").stream(), ZeoVectors.files("msgpack").stream())
            .flatMap(file ->
                Stream.of(true, false)
                    .map(fromClient -> {
                      List<Frame> frames =
                          ZeoVectors.frames(file).stream()
                              .filter(f ->
                                  f.conn() == 1
                                      && f.fromClient() == fromClient
                                      && f.kind().equals("message"))
                              .toList();
                      Role role = fromClient ? Role.SERVER : Role.CLIENT;
                      return new Stream1(
                          file + (fromClient ? " c2s" : " s2c"),
                          PipelineTest.concat(frames, f -> true),
                          PipelineTest.decodeEach(frames, role),
                          new MessageCodec(ZeoVectors.frames(file).getFirst().encoding(), role));
                    }))
            .filter(s -> !s.expected().isEmpty())
            .toList();
    return Arbitraries.of(all);
  }

  @Property(tries = 300)
  void anySplitDecodesToTheSameMessages(
      @ForAll("streams") Stream1 s, @ForAll("cuts") List<Integer> cutSeeds) {
    int[] cuts =
        cutSeeds.stream().mapToInt(c -> Math.floorMod(c, s.bytes().length + 1)).sorted().toArray();
    Capture capture = new Capture();
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new FrameDecoder(PipelineTest.MAX), new MessageDecoder(s.codec()), capture);
    int from = 0;
    for (int cut : cuts) {
      ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(s.bytes(), from, cut)));
      from = cut;
    }
    ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(s.bytes(), from, s.bytes().length)));
    assertThat(capture.errors).isEmpty();
    assertThat(capture.messages).isEqualTo(s.expected());
    ch.finishAndReleaseAll();
  }

  @Provide
  Arbitrary<List<Integer>> cuts() {
    return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMaxSize(40);
  }
}
