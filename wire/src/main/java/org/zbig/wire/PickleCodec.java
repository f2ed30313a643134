package org.zbig.wire;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.pickle.GlobalResolver;
import org.zbig.zodb.pickle.PickleException;
import org.zbig.zodb.pickle.PickleReader;
import org.zbig.zodb.pickle.PickleWriter;

/**
 * The {@code Z5} encoding (docs/protocol.md §2.2): one protocol-3 pickle per frame, written in fast
 * mode (no memo), read by a reader that never constructs anything.
 *
 * <p>Globals: a server accepts them only from the modules a ZEO server allows ({@code
 * ZopeUndo.Prefix}, {@code zodbpickle}, {@code builtins}, {@code copy_reg}, {@code __builtin__}); a
 * client from the modules of exception classes ZEO servers send. Together with {@code REDUCE} and
 * {@code BUILD} they become opaque values. Persistent ids never occur in messages and are refused.
 */
final class PickleCodec {
  private static final GlobalResolver SERVER_GLOBALS =
      GlobalResolver.allowModules(
          Set.of(
              "ZopeUndo.Prefix", "zodbpickle", "builtins", "copy_reg", "copyreg", "__builtin__"));
  private static final GlobalResolver CLIENT_GLOBALS =
      GlobalResolver.allowModules(
          Set.of(
              "builtins",
              "exceptions",
              "copy_reg",
              "copyreg",
              "__builtin__",
              "ZODB.*",
              "ZEO.*",
              "transaction.*",
              "BTrees.*"));

  private final GlobalResolver globals;

  PickleCodec(Role role) {
    this.globals = role == Role.SERVER ? SERVER_GLOBALS : CLIENT_GLOBALS;
  }

  Object decode(MemorySegment frame) {
    PickleReader r =
        new PickleReader(
            frame,
            0,
            globals,
            pid -> {
              throw new PickleException(-1, "persistent id in a ZEO message");
            });
    try {
      Object value = r.load();
      if (!r.atEnd()) {
        throw new ProtocolException(
            "Z5 message: "
                + (frame.byteSize() - r.position())
                + " bytes after the pickle's STOP (expected: one pickle per frame)");
      }
      return value;
    } catch (PickleException e) {
      throw new ProtocolException("undecodable Z5 message: " + e.getMessage(), e);
    }
  }

  List<MemorySegment> encode(Object value, long spliceThreshold) {
    try {
      return new PickleWriter(false, v -> null)
          .spliceBytesOfAtLeast(spliceThreshold)
          .dump(value)
          .pieces();
    } catch (PickleException e) {
      throw new ProtocolException("cannot encode as Z5: " + e.getMessage(), e);
    }
  }
}
