package org.zbig.wire.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A trusting {@link FrameDecoder} putting part of big frames straight into memory. */
class SteeringTest {
  static byte[] frames(int... sizes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int size : sizes) {
      byte[] payload = new byte[size];
      for (int i = 0; i < size; i++) {
        payload[i] = (byte) (i * 31 + size);
      }
      out.writeBytes(ByteBuffer.allocate(4).putInt(size).array());
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  static byte[] payload(int size) {
    return Arrays.copyOfRange(frames(size), 4, 4 + size);
  }

  /** Feeds {@code bytes} in pieces of random sizes. */
  static void feed(EmbeddedChannel ch, byte[] bytes, Random random) {
    for (int from = 0; from < bytes.length; ) {
      int to = Math.min(bytes.length, from + 1 + random.nextInt(30_000));
      ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, from, to)));
      from = to;
    }
  }

  @Test
  void aSteeredRangeLandsInItsMemoryAndTheRestGoesOnPatched() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    int big = 200_000;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment into = arena.allocate(150_000);
      List<Integer> heads = new ArrayList<>();
      FrameDecoder decoder = new FrameDecoder(1 << 20, true);
      decoder.steer((head, length) -> {
        heads.add(head.readableBytes());
        assertThat(ByteBufUtil.getBytes(head))
            .isEqualTo(Arrays.copyOf(payload(length), head.readableBytes()));
        return length == big
            ? new FrameDecoder.Target(
                1_000,
                into.asSlice(0, 150_000),
                List.of(new FrameDecoder.Patch(10, new byte[] {7, 7})))
            : null; // not this one: it arrives whole
      });
      Capture capture = new Capture();
      EmbeddedChannel ch = new EmbeddedChannel(decoder, capture);
      feed(ch, frames(5, big, FrameDecoder.EAGER_MIN + 1, 7), random);
      assertThat(capture.errors).isEmpty();
      assertThat(heads).as("seed %d", seed).containsExactly(128, 128); // only the big frames
      assertThat(capture.messages).hasSize(4);
      assertThat(capture.messages.get(0)).isEqualTo(payload(5));
      FrameDecoder.SteeredFrame s = (FrameDecoder.SteeredFrame) capture.messages.get(1);
      byte[] whole = payload(big);
      byte[] rest = ByteBufUtil.getBytes(s.rest());
      s.rest().release();
      byte[] expected = new byte[big - 150_000];
      System.arraycopy(whole, 0, expected, 0, 1_000);
      System.arraycopy(whole, 151_000, expected, 1_000, big - 151_000);
      expected[10] = 7;
      expected[11] = 7;
      assertThat(rest).as("seed %d", seed).isEqualTo(expected);
      assertThat(into.toArray(ValueLayout.JAVA_BYTE))
          .isEqualTo(Arrays.copyOfRange(whole, 1_000, 151_000));
      assertThat(capture.messages.get(2)).isEqualTo(payload(FrameDecoder.EAGER_MIN + 1));
      assertThat(capture.messages.get(3)).isEqualTo(payload(7));
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void aRevokedTargetGetsNoFurtherByteAndItsFrameIsDropped() {
    int big = 100_000;
    byte[] bytes = frames(big, 3);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment into = arena.allocate(90_000).fill((byte) 0x55);
      FrameDecoder.Target target = new FrameDecoder.Target(100, into, List.of());
      FrameDecoder decoder = new FrameDecoder(1 << 20, true);
      decoder.steer((head, length) -> target);
      Capture capture = new Capture();
      EmbeddedChannel ch = new EmbeddedChannel(decoder, capture);
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, 4 + 50_100)); // 50,000 bytes of the range
      target.revoke();
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, 4 + 50_100, bytes.length - 4 - 50_100));
      byte[] whole = payload(big);
      assertThat(into.asSlice(0, 50_000).toArray(ValueLayout.JAVA_BYTE))
          .isEqualTo(Arrays.copyOfRange(whole, 100, 50_100));
      byte[] after = into.asSlice(50_000).toArray(ValueLayout.JAVA_BYTE);
      byte[] untouched = new byte[after.length];
      Arrays.fill(untouched, (byte) 0x55);
      assertThat(after).as("nothing written after the revocation").isEqualTo(untouched);
      assertThat(capture.messages).singleElement().isEqualTo(payload(3)); // the stream goes on
      assertThat(capture.errors).isEmpty();
      assertThat(decoder.pendingBytes()).isZero();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void aFrameCutInsideItsSteeredRangeIsReleasedOnClose() {
    try (Arena arena = Arena.ofConfined()) {
      FrameDecoder decoder = new FrameDecoder(1 << 20, true);
      decoder.steer(
          (head, length) -> new FrameDecoder.Target(0, arena.allocate(70_000), List.of()));
      EmbeddedChannel ch = new EmbeddedChannel(decoder, new Capture());
      ByteBuf part = Unpooled.wrappedBuffer(frames(80_000), 0, 40_004);
      ch.writeInbound(part);
      assertThat(decoder.pendingBytes()).isEqualTo(40_000);
      assertThat(part.refCnt()).isZero(); // copied out as it came
      ch.close();
      assertThat(decoder.pendingBytes()).isZero();
    }
  }

  @Test
  void onlyATrustingDecoderSteersAndPatchesGoBeforeTheRange() {
    assertThatThrownBy(() -> new FrameDecoder(1 << 20).steer((head, length) -> null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trusts lengths");
    assertThatThrownBy(() ->
            new FrameDecoder.Target(
                10,
                MemorySegment.ofArray(new byte[4]),
                List.of(new FrameDecoder.Patch(9, new byte[2]))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("patch at 9 (expected: before the range at 10)");
  }
}
