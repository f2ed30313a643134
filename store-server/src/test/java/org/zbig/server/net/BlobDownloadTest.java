package org.zbig.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zbig.wire.MsgId;
import org.zbig.wire.ReceiveBlobChunk;
import org.zbig.wire.ReceiveBlobStart;
import org.zbig.wire.ReceiveBlobStop;
import org.zbig.wire.SendBlob;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

class BlobDownloadTest {
  @TempDir Path dir;

  private final List<IOException> done = new ArrayList<>();
  private final List<Boolean> calls = new ArrayList<>();

  private ChannelHandlerContext context(EmbeddedChannel ch) {
    ChannelHandlerAdapter h = new ChannelHandlerAdapter() {};
    ch.pipeline().addLast(h);
    return ch.pipeline().context(h);
  }

  private void done(IOException readFailure) {
    calls.add(true);
    done.add(readFailure);
  }

  @Test
  void aBlobGoesOutAsStartChunksStopThenTheReplyAndDoneIsToldOnce() throws IOException {
    byte[] blob = new byte[BlobDownload.CHUNK * 40 + 123]; // more than one batch in flight
    new Random(1).nextBytes(blob);
    Path f = Files.write(dir.resolve("b"), blob);
    EmbeddedChannel ch = new EmbeddedChannel();
    SendBlob r = new SendBlob(new MsgId(7L), new Oid(3), new Tid(9));

    BlobDownload.start(context(ch), r, FileChannel.open(f, StandardOpenOption.READ), this::done);
    ch.runPendingTasks();

    List<Object> out = new ArrayList<>();
    for (Object m; (m = ch.readOutbound()) != null; ) {
      out.add(m);
    }
    assertThat(out.getFirst()).isEqualTo(new ReceiveBlobStart(new Oid(3), new Tid(9)));
    assertThat(out.get(out.size() - 2)).isEqualTo(new ReceiveBlobStop(new Oid(3), new Tid(9)));
    assertThat(out.getLast()).isEqualTo(r.reply(null));
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    for (Object m : out.subList(1, out.size() - 2)) {
      got.writeBytes(((ReceiveBlobChunk) m).chunk().toByteArray());
    }
    assertThat(got.toByteArray()).isEqualTo(blob);
    assertThat(out).hasSize(41 + 3);
    assertThat(calls).hasSize(1);
    assertThat(done.getFirst()).isNull();
  }

  @Test
  void aReadFailureIsToldOnceWithItsError() throws IOException {
    Path f = Files.write(dir.resolve("b"), new byte[10]);
    FileChannel in = FileChannel.open(f, StandardOpenOption.READ);
    in.close(); // every read fails
    EmbeddedChannel ch = new EmbeddedChannel();

    BlobDownload.start(
        context(ch), new SendBlob(new MsgId(7L), new Oid(3), new Tid(9)), in, this::done);

    assertThat(calls).hasSize(1);
    assertThat(done.getFirst()).isInstanceOf(IOException.class);
  }
}
