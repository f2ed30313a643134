package org.zbig.client.zeo;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.wire.Encoding;
import org.zbig.wire.LoadBefore;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.Reply;
import org.zbig.wire.Role;
import org.zbig.wire.netty.FrameDecoder;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.storage.LoadResult;

/** Where a record's data lies in real {@code loadBefore} replies of both encodings. */
class ReplyLayoutTest {
  static final String ZBLK0 = "wendelin.bigfile.file_zodb.ZBlk0";
  static final byte[] PREFIX =
      "\u0080\u0003cwendelin.bigfile.file_zodb\nZBlk0\nq\u0000.\u0080\u0003B"
          .getBytes(StandardCharsets.ISO_8859_1);

  static byte[] record(String cls, byte[] data) {
    return new DataRecord(ClassMeta.of(cls), Bytes.wrap(data)).encode();
  }

  static byte[] reply(Encoding enc, long msgid, byte[] record, Tid end) {
    MessageCodec server = new MessageCodec(enc, Role.SERVER);
    LoadBefore request = new LoadBefore(MsgId.of(msgid), new Oid(1), Tid.MAX);
    return server.encodeToArray(
        new Reply(
            request.msgid(),
            request.encodeResult(
                Optional.of(new LoadResult(Bytes.wrap(record), new Tid(5), end)))));
  }

  static ReplyLayout.Layout parse(Encoding enc, byte[] frame, byte[] prefix) {
    return ReplyLayout.parse(
        Unpooled.wrappedBuffer(frame, 0, Math.min(frame.length, FrameDecoder.STEER_HEAD)),
        frame.length,
        enc,
        id -> prefix);
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void theDataOfAZBlk0ReplyIsFoundAndTheRestDecodesToTheSameReplyWithAnEmptyState(Encoding enc) {
    byte[] data = new byte[100_000];
    new Random(7).nextBytes(data);
    byte[] record = record(ZBLK0, data);
    assertThat(Arrays.copyOf(record, PREFIX.length)).isEqualTo(PREFIX);
    for (long msgid : new long[] {0, 5, 200, 300, 70_000, 5_000_000_000L}) {
      for (Tid end : new Tid[] {null, new Tid(9)}) {
        byte[] frame = reply(enc, msgid, record, end);
        ReplyLayout.Layout l = parse(enc, frame, PREFIX);
        assertThat(l).as("msgid %d", msgid).isNotNull();
        assertThat(l.msgid()).isEqualTo(MsgId.of(msgid));
        assertThat(l.dataLength()).isEqualTo(data.length);
        assertThat(Arrays.copyOfRange(frame, l.dataOffset(), l.dataOffset() + data.length))
            .isEqualTo(data);
        // the frame without its data, patched, is the reply of a record with an empty state
        byte[] rest = new byte[frame.length - data.length];
        System.arraycopy(frame, 0, rest, 0, l.dataOffset());
        System.arraycopy(
            frame,
            l.dataOffset() + data.length,
            rest,
            l.dataOffset(),
            rest.length - l.dataOffset());
        for (FrameDecoder.Patch p : l.patches()) {
          System.arraycopy(p.bytes(), 0, rest, p.offset(), p.bytes().length);
        }
        Message m = new MessageCodec(enc, Role.CLIENT).decode(rest, 0, rest.length);
        Optional<LoadResult> got =
            new LoadBefore(MsgId.of(msgid), new Oid(1), Tid.MAX).decodeResult(((Reply) m).value());
        assertThat(got.orElseThrow().start()).isEqualTo(new Tid(5));
        assertThat(got.orElseThrow().end()).isEqualTo(end);
        assertThat(DataRecord.decode(got.orElseThrow().data()))
            .isEqualTo(DataRecord.decode(record(ZBLK0, new byte[0])));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void anythingElseIsLeftWhole(Encoding enc) {
    byte[] data = new byte[100_000];
    byte[] zblk0 = reply(enc, 3, record(ZBLK0, data), null);
    assertThat(parse(enc, zblk0, null)).as("no sink waits for it").isNull();
    assertThat(
            parse(
                enc, reply(enc, 3, record("wendelin.bigfile.file_zodb.ZBlk1", data), null), PREFIX))
        .as("another class")
        .isNull();
    assertThat(parse(enc, reply(enc, 3, data, null), PREFIX)).as("not a record").isNull();
    assertThat(
            ReplyLayout.parse(
                Unpooled.wrappedBuffer(zblk0, 0, 40), zblk0.length, enc, id -> PREFIX))
        .as("a head that ends before the data")
        .isNull();
    byte[] longer = Arrays.copyOf(record(ZBLK0, data), 100_060); // bytes after the state's STOP
    assertThat(parse(enc, reply(enc, 3, longer, null), PREFIX)).as("trailing bytes").isNull();
    assertThat(parse(enc, zblk0, PREFIX)).isNotNull();
    Encoding other = enc == Encoding.PICKLE ? Encoding.MSGPACK : Encoding.PICKLE;
    assertThat(parse(other, zblk0, PREFIX)).as("read as the other encoding").isNull();
  }
}
