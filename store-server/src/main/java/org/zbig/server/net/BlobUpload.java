package org.zbig.server.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.server.commit.Txn;
import org.zbig.zodb.Oid;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.error.StorageTransactionException;
import org.zbig.zodb.pickle.Bytes;

/**
 * The blob a connection is uploading, between {@code storeBlobStart} and {@code storeBlobEnd}
 * (docs/protocol.md §3.7): the file it goes to, which the transaction owns from the start (so that
 * an abort deletes it), and the open channel. Used on the connection's event loop only.
 */
final class BlobUpload {
  private static final Logger LOG = LoggerFactory.getLogger(BlobUpload.class);

  private FileChannel channel;
  private Path file;

  /** {@code storeBlobStart}: opens {@code file}, a new file of the storage, for {@code t}. */
  void start(Txn t, Path file) {
    if (channel != null) {
      throw new StorageTransactionException("storeBlobStart while a blob upload is open");
    }
    t.uploaded(file);
    try {
      channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new StorageException("cannot open blob upload " + file + ": " + e, e);
    }
    this.file = file;
  }

  /** {@code storeBlobChunk}: appends a chunk. */
  void write(Bytes chunk) {
    if (channel == null) {
      throw new StorageTransactionException("storeBlobChunk without storeBlobStart");
    }
    try {
      ByteBuffer b = chunk.asByteBuffer();
      while (b.hasRemaining()) {
        channel.write(b);
      }
    } catch (IOException e) {
      throw new StorageException("cannot write blob upload " + file + ": " + e, e);
    }
  }

  /** {@code storeBlobEnd}: closes the file and makes it the blob of {@code oid} in {@code t}. */
  void end(Txn t, long txnId, Oid oid) {
    if (channel == null || t.id != txnId) {
      throw new StorageTransactionException(
          "storeBlobEnd without storeBlobStart in transaction " + txnId);
    }
    Path done = file;
    close();
    t.blobStored(oid, done);
  }

  /** Closes the upload in progress, if any (the transaction still owns its file). */
  void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.warn("could not close blob upload {}: {}", file, e.toString());
      }
      channel = null;
      file = null;
    }
  }
}
