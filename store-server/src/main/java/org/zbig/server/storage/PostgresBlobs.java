package org.zbig.server.storage;

import static org.zbig.server.storage.PostgresRows.sql;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.StorageException;

/**
 * The blobs of a {@link PostgresStorage}: rows of {@code zbig_blob} in {@link #CHUNK}-byte chunks,
 * and a local cache folder of files {@code <oid>/<tid>.blob} (hex), where {@code tid} is the
 * revision holding the blob. Cache files are written to {@code tmp/} and moved into place, so a
 * reader never sees half a file.
 */
final class PostgresBlobs {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresBlobs.class);

  /** Bytes per row of {@code zbig_blob}. */
  static final int CHUNK = 1 << 20;

  private final Path folder;

  /** A cache in {@code folder}, created if missing. */
  PostgresBlobs(Path folder) {
    this.folder = folder;
    try {
      Files.createDirectories(folder.resolve("tmp"));
    } catch (IOException e) {
      throw new StorageException("cannot create the blob cache " + folder + ": " + e, e);
    }
  }

  private Path path(Oid oid, long tid) {
    return folder.resolve(oid.toHex()).resolve(new Tid(tid).toHex() + ".blob");
  }

  /** A new empty file for an upload, in the cache's file system. */
  Path newFile() {
    try {
      return Files.createTempFile(folder.resolve("tmp"), "upload-", ".blob");
    } catch (IOException e) {
      throw new StorageException("cannot create a blob file in " + folder + ": " + e, e);
    }
  }

  /**
   * Writes the blob {@code file} of revision {@code tid} of {@code oid} in transaction {@code c}.
   */
  static void store(Connection c, Oid oid, long tid, Path file) throws SQLException {
    try (InputStream in = Files.newInputStream(file);
        PreparedStatement ps =
            c.prepareStatement(
                "insert into zbig_blob (zoid, tid, chunk, data) values (?, ?, ?, ?)")) {
      byte[] buf = new byte[CHUNK];
      for (int chunk = 0; ; chunk++) {
        int n = in.readNBytes(buf, 0, CHUNK);
        if (n == 0 && chunk > 0) {
          break;
        }
        ps.setLong(1, sql(oid.value()));
        ps.setLong(2, sql(tid));
        ps.setInt(3, chunk);
        ps.setBytes(4, n == CHUNK ? buf : Arrays.copyOf(buf, n));
        ps.executeUpdate();
        if (n < CHUNK) {
          break;
        }
      }
    } catch (IOException e) {
      throw new StorageException("cannot read blob upload " + file + ": " + e.getMessage(), e);
    }
  }

  /** Moves a committed upload into the cache; the database holds the blob already. */
  void cache(Path upload, Oid oid, long tid) {
    try {
      Path to = path(oid, tid);
      Files.createDirectories(to.getParent());
      Files.move(upload, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      LOG.warn("could not cache blob {} of {}: {}", upload, oid.toHex(), e.toString());
    }
  }

  /**
   * The cached file of the blob of revision {@code tid} (one holding data) of {@code oid}, copied
   * from the database first if missing.
   *
   * @throws NoSuchObjectException if the database has no such blob
   */
  Path file(Connection c, Oid oid, long tid) throws SQLException {
    Path p = path(oid, tid);
    if (Files.isRegularFile(p)) {
      return p;
    }
    Path tmp = newFile();
    boolean any = false;
    try (PreparedStatement ps =
            c.prepareStatement(
                "select data from zbig_blob where zoid = ? and tid = ? order by chunk");
        OutputStream out = Files.newOutputStream(tmp)) {
      ps.setLong(1, sql(oid.value()));
      ps.setLong(2, sql(tid));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          any = true;
          out.write(rs.getBytes(1));
        }
      }
    } catch (IOException e) {
      throw new StorageException("cannot write blob cache file " + tmp + ": " + e, e);
    }
    try {
      if (!any) {
        Files.deleteIfExists(tmp);
        throw new NoSuchObjectException(oid);
      }
      Files.createDirectories(p.getParent());
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return p;
    } catch (IOException e) {
      throw new StorageException("cannot cache blob " + p + ": " + e, e);
    }
  }

  /** Deletes the cached blob of revision {@code tid} of {@code oid}, if any. */
  void uncache(Oid oid, long tid) {
    try {
      Files.deleteIfExists(path(oid, tid));
    } catch (IOException e) {
      LOG.warn("could not remove cached blob of {}: {}", oid.toHex(), e.toString());
    }
  }
}
