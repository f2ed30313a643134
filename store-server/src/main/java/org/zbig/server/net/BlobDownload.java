package org.zbig.server.net;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import org.zbig.wire.ReceiveBlobChunk;
import org.zbig.wire.ReceiveBlobStart;
import org.zbig.wire.ReceiveBlobStop;
import org.zbig.wire.SendBlob;
import org.zbig.zodb.pickle.Bytes;

/**
 * Sends one blob for {@code sendBlob} as {@code receiveBlobStart}, {@code receiveBlobChunk} calls
 * and {@code receiveBlobStop}, then the reply (docs/protocol.md §3.7): at most {@link
 * #CHUNKS_IN_FLIGHT} chunks ahead of the socket, the next batch read when the last write of the
 * batch is done, so a big blob never sits in memory whole.
 */
final class BlobDownload {
  static final int CHUNK = 59_000;
  static final int CHUNKS_IN_FLIGHT = 16;

  /** What the connection is told when the download ends. */
  interface Done {
    /**
     * Called once, on the event loop: {@code readFailure} is the error reading the blob file, or
     * null (the reply was written, or the connection failed first).
     */
    void done(IOException readFailure);
  }

  private final ChannelHandlerContext ctx;
  private final SendBlob request;
  private final FileChannel in;
  private final Done done;

  private BlobDownload(ChannelHandlerContext ctx, SendBlob request, FileChannel in, Done done) {
    this.ctx = ctx;
    this.request = request;
    this.in = in;
    this.done = done;
  }

  /** Starts sending the blob that {@code in} reads; {@code in} is closed at the end. */
  static void start(ChannelHandlerContext ctx, SendBlob request, FileChannel in, Done done) {
    ctx.write(new ReceiveBlobStart(request.oid(), request.serial()));
    new BlobDownload(ctx, request, in, done).next();
  }

  private void next() {
    try {
      ChannelFuture lastWrite = null;
      for (int i = 0; i < CHUNKS_IN_FLIGHT; i++) {
        ByteBuffer b = ByteBuffer.allocate(CHUNK);
        while (b.hasRemaining() && in.read(b) >= 0) {}
        b.flip();
        if (b.remaining() == 0) {
          in.close(); // a failure here goes to the catch, which tells done once
          ctx.write(new ReceiveBlobStop(request.oid(), request.serial()));
          ctx.writeAndFlush(request.reply(null));
          done.done(null);
          return;
        }
        lastWrite =
            ctx.write(
                new ReceiveBlobChunk(
                    request.oid(),
                    request.serial(),
                    Bytes.wrap(Arrays.copyOf(b.array(), b.remaining()))));
      }
      ctx.flush();
      lastWrite.addListener(f -> {
        if (f.isSuccess()) {
          next();
        } else {
          done.done(null); // told before the close, which may throw
          in.close();
        }
      });
    } catch (IOException e) {
      try {
        in.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      done.done(e);
    }
  }
}
