package org.zbig.server.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zbig.zodb.Oid;
import org.zbig.zodb.error.StorageException;

/**
 * The folder of a {@link KvStorage}'s blob files, in ZODB's "bushy" layout, so that ZODB's own
 * tools and a ZEO client's checks find a blob where a FileStorage's blob folder keeps it: one
 * folder level per byte of the oid, most significant first ({@code 0x00/…/0x01}), and a file named
 * by the tid with leading zero bytes left out ({@code 0x03c5….blob}). A {@code .layout} file says
 * {@code bushy}. A {@code tmp/} folder is there from the start, as in a folder ZODB prepares: a
 * client that shares the folder ({@code shared_blob_dir=True}) makes the files of its new blobs in
 * it, and then moves each into its object's folder for {@code storeBlobShared}. The server's own
 * files wait in {@link #OWN} ({@code .zbig-tmp/}, readable and writable by the server's user
 * alone): uploads, shared files taken from their clients, links made before they replace a name.
 * What a run leaves there (a crash between an upload and its commit) goes at the next open.
 *
 * <p>Folders written before this layout ({@code <oid>/<tid>.blob}, 16 hex digits each) are moved
 * into it when the storage opens; {@code .layout} is written last, so a move cut short is finished
 * by the next open.
 */
final class BlobFolder {
  private static final Logger LOG = LoggerFactory.getLogger(BlobFolder.class);
  private static final String LAYOUT = "bushy";
  private static final Pattern OLD_OID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern OLD_FILE = Pattern.compile("([0-9a-f]{16})\\.blob");

  /** The folder, under the blob folder, of files that are the server's alone until a commit. */
  static final String OWN = ".zbig-tmp";

  private BlobFolder() {}

  /** The file of the blob of {@code oid} in revision {@code tid}, under {@code base}. */
  static Path file(Path base, Oid oid, long tid) {
    Path p = base;
    for (int shift = 56; shift >= 0; shift -= 8) {
      p = p.resolve("0x" + HexFormat.of().toHexDigits((byte) (oid.value() >>> shift)));
    }
    return p.resolve(tidName(tid) + ".blob");
  }

  /** ZODB's name of a tid: hex with leading zero bytes left out ({@code 0x00} for zero). */
  static String tidName(long tid) {
    String hex = HexFormat.of().toHexDigits(tid);
    int start = 0;
    while (start < 14 && hex.startsWith("00", start)) {
      start += 2;
    }
    return "0x" + hex.substring(start);
  }

  /**
   * Makes {@code base} ready: created if missing, with {@code tmp/} and an empty {@link #OWN} (what
   * an earlier run left there belonged to transactions that did not commit), an older layout moved
   * into this one, {@code .layout} checked or written.
   *
   * @throws StorageException if the folder says another layout, or cannot be prepared
   */
  static void prepare(Path base) {
    Path marker = base.resolve(".layout");
    try {
      // tmp/ from the start: a client sharing the folder makes its new blobs' files there
      Files.createDirectories(base.resolve("tmp"));
      emptyOwn(base.resolve(OWN));
      if (Files.exists(marker)) {
        String found = Files.readString(marker, StandardCharsets.US_ASCII).strip();
        if (!found.equals(LAYOUT)) {
          throw new StorageException(
              "blob folder "
                  + base
                  + " has layout '"
                  + found
                  + "' in its .layout file; this server keeps blobs in ZODB's '"
                  + LAYOUT
                  + "' layout");
        }
        return;
      }
      int moved = moveOldLayout(base);
      if (moved > 0) {
        LOG.info("moved {} blob files of {} into the bushy layout", moved, base);
      }
      Files.writeString(marker, LAYOUT, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new StorageException("cannot prepare the blob folder " + base + ": " + e, e);
    }
  }

  /**
   * Creates {@code own} for the server's user alone (where POSIX permissions exist), or empties it.
   */
  private static void emptyOwn(Path own) throws IOException {
    if (Files.isDirectory(own, LinkOption.NOFOLLOW_LINKS)) {
      int removed = 0;
      try (DirectoryStream<Path> left = Files.newDirectoryStream(own)) {
        for (Path f : left) {
          Files.deleteIfExists(f);
          removed++;
        }
      }
      if (removed > 0) {
        LOG.info("removed {} blob files of uncommitted transactions from {}", removed, own);
      }
      return;
    }
    try {
      Files.createDirectory(
          own, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      Files.createDirectory(own);
    }
  }

  private static int moveOldLayout(Path base) throws IOException {
    int moved = 0;
    try (DirectoryStream<Path> oids = Files.newDirectoryStream(base)) {
      for (Path dir : oids) {
        String name = dir.getFileName().toString();
        if (!Files.isDirectory(dir) || !OLD_OID.matcher(name).matches()) {
          continue;
        }
        Oid oid = Oid.ofHex(name);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
          for (Path f : files) {
            var m = OLD_FILE.matcher(f.getFileName().toString());
            if (m.matches()) {
              Path to = file(base, oid, Long.parseUnsignedLong(m.group(1), 16));
              Files.createDirectories(to.getParent());
              Files.move(
                  f, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
              moved++;
            }
          }
        }
        try {
          Files.delete(dir);
        } catch (IOException e) {
          LOG.warn("left the old blob folder {}: {}", dir, e.toString());
        }
      }
    }
    return moved;
  }
}
