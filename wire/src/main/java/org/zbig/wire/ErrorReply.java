package org.zbig.wire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.BTreesConflictException;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.MissingKeyException;
import org.zbig.zodb.error.MultipleUndoException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ProtocolException;
import org.zbig.zodb.error.ReadConflictException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.error.ServerException;
import org.zbig.zodb.error.StorageException;
import org.zbig.zodb.error.StorageTransactionException;
import org.zbig.zodb.error.UndoException;
import org.zbig.zodb.error.WrongTypeException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * A failed synchronous call: {@code (msgid, 2, '.reply', (class_name, payload))} (docs/protocol.md
 * §2.5). The payload is shaped per exception class as a Python ZEO client expects it: a dict with
 * {@code message}, {@code oid}, {@code serials} and {@code class_name} for conflicts (a missing key
 * would make a Python client hang), the constructor arguments for most others.
 *
 * <p>{@link #of} builds the reply for a Java exception; {@link #toException()} turns a reply from
 * any ZEO 5/6 server back into our exception hierarchy, falling back to {@link ServerException} for
 * classes it does not know and for payloads of an unexpected shape, so a malformed reply never
 * leaves a caller waiting.
 *
 * @param msgid the id of the request answered
 * @param className the dotted Python class name, e.g. {@code ZODB.POSException.ConflictError}
 * @param payload the exception's {@code __dict__} or its {@code args}, as wire values
 */
public record ErrorReply(MsgId msgid, String className, Object payload) implements Message {
  private static final String KEY_ERROR_PY2 = "exceptions.KeyError";
  private static final String TYPE_ERROR_PY2 = "exceptions.TypeError";

  /** Checks the fields. */
  public ErrorReply {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(className, "className");
  }

  /**
   * The error reply for {@code error}. A {@link StorageException} travels under its {@link
   * StorageException#pythonName()}; any other throwable is an internal failure and travels as a
   * {@code StorageError} with its message only (never a Java stack trace).
   */
  public static ErrorReply of(MsgId msgid, Throwable error) {
    if (!(error instanceof StorageException e)) {
      return new ErrorReply(
          msgid,
          StorageException.PYTHON_NAME,
          Tuple.of("internal server error: " + error.getClass().getSimpleName()));
    }
    Object payload =
        switch (e) {
          case BTreesConflictException b -> {
            Map<String, Object> d = conflictDict(b);
            d.put("p1", b.p1());
            d.put("p2", b.p2());
            d.put("p3", b.p3());
            d.put("reason", b.reason());
            yield d;
          }
          case ConflictException c -> conflictDict(c);
          case MultipleUndoException m -> {
            List<Object> errs = new ArrayList<>();
            for (MultipleUndoException.Failure f : m.failures()) {
              errs.add(Tuple.of(WireValues.bytes(f.oid()), f.reason()));
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("_errs", errs);
            yield d;
          }
          case UndoException u -> {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("_reason", u.reason());
            d.put("_oid", WireValues.bytesOrNone(u.oid().orElse(null)));
            yield d;
          }
          case NoSuchObjectException n -> Tuple.of(WireValues.bytes(n.oid()));
          case ReadOnlyException r -> Tuple.EMPTY;
          case MissingKeyException k -> Tuple.of(wireKey(k.key()));
          case ServerException s -> s.payload();
          default -> Tuple.of(e.getMessage());
        };
    String name = e instanceof ServerException s ? s.remoteClassName() : e.pythonName();
    return new ErrorReply(msgid, name, payload);
  }

  private static Object wireKey(Object key) {
    return switch (key) {
      case Oid o -> WireValues.bytes(o);
      case Tid t -> WireValues.bytes(t);
      case null, default -> key;
    };
  }

  private static Map<String, Object> conflictDict(ConflictException c) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("message", c.rawMessage());
    d.put("oid", WireValues.bytesOrNone(c.oid().orElse(null)));
    d.put("class_name", c.className().orElse(null));
    Tid committed = c.committedSerial().orElse(null);
    Tid read = c.readSerial().orElse(null);
    d.put(
        "serials",
        committed == null || read == null
            ? null
            : Tuple.of(WireValues.bytes(committed), WireValues.bytes(read)));
    return d;
  }

  /**
   * The exception this reply stands for, as a ZEO 5/6 client's exception factories decide it
   * (docs/protocol.md §2.5): known classes map to our exceptions, anything else to a {@link
   * ServerException} carrying the class name and payload.
   */
  public StorageException toException() {
    try {
      StorageException e = known();
      return e != null ? e : new ServerException(className, payload);
    } catch (ProtocolException | IllegalArgumentException badShape) {
      return new ServerException(className, payload);
    }
  }

  private StorageException known() {
    return switch (className) {
      case ConflictException.PYTHON_NAME, ReadConflictException.PYTHON_NAME -> conflict();
      case BTreesConflictException.PYTHON_NAME -> {
        Map<String, Object> d = WireValues.dict(payload, className);
        yield new BTreesConflictException(
            WireValues.integer(d.get("p1"), "p1"),
            WireValues.integer(d.get("p2"), "p2"),
            WireValues.integer(d.get("p3"), "p3"),
            WireValues.integer(d.get("reason"), "reason"));
      }
      case MultipleUndoException.PYTHON_NAME -> {
        Map<String, Object> d = WireValues.dict(payload, className);
        List<MultipleUndoException.Failure> failures = new ArrayList<>();
        for (Object pair : WireValues.sequence(d.get("_errs"), "_errs")) {
          List<Object> p = WireValues.sequence(pair, 2, "_errs item");
          failures.add(
              new MultipleUndoException.Failure(
                  WireValues.oid(p.get(0), "oid"), WireValues.text(p.get(1), "reason")));
        }
        yield new MultipleUndoException(failures);
      }
      case UndoException.PYTHON_NAME -> {
        if (payload instanceof Map<?, ?>) {
          Map<String, Object> d = WireValues.dict(payload, className);
          yield new UndoException(
              String.valueOf(d.get("_reason")), WireValues.oidOrNull(d.get("_oid"), "_oid"));
        }
        yield new UndoException(message(), null);
      }
      case NoSuchObjectException.PYTHON_NAME ->
          new NoSuchObjectException(
              WireValues.oid(WireValues.sequence(payload, 1, className).get(0), "oid"));
      case ReadOnlyException.PYTHON_NAME ->
          new ReadOnlyException(args().isEmpty() ? "read-only storage" : message());
      case StorageTransactionException.PYTHON_NAME -> new StorageTransactionException(message());
      case MissingKeyException.PYTHON_NAME, KEY_ERROR_PY2 ->
          new MissingKeyException(WireValues.sequence(payload, 1, className).get(0));
      case WrongTypeException.PYTHON_NAME, TYPE_ERROR_PY2 -> new WrongTypeException(message());
      case InvalidValueException.PYTHON_NAME -> new InvalidValueException(message());
      case ProtocolException.PYTHON_NAME -> new ProtocolException(message());
      case ClientDisconnectedException.PYTHON_NAME -> new ClientDisconnectedException(message());
      case StorageException.PYTHON_NAME -> new StorageException(message());
      default -> null;
    };
  }

  private StorageException conflict() {
    Map<String, Object> d = WireValues.dict(payload, className);
    Object message = d.get("message");
    Oid oid = WireValues.oidOrNull(d.get("oid"), "oid");
    Tid committed = null;
    Tid read = null;
    if (d.get("serials") != null) {
      List<Object> s = WireValues.sequence(d.get("serials"), 2, "serials");
      committed = WireValues.tidOrNull(s.get(0), "serials[0]");
      read = WireValues.tidOrNull(s.get(1), "serials[1]");
    }
    String klass = WireValues.textOrNull(d.get("class_name"), "class_name");
    boolean readConflict = className.equals(ReadConflictException.PYTHON_NAME);
    String text =
        message != null
            ? WireValues.text(message, "message")
            : readConflict
                ? ReadConflictException.DEFAULT_MESSAGE
                : ConflictException.DEFAULT_MESSAGE;
    return readConflict
        ? new ReadConflictException(text, oid, committed, read, klass)
        : new ConflictException(text, oid, committed, read, klass);
  }

  private List<Object> args() {
    return payload instanceof Tuple || payload instanceof List<?>
        ? WireValues.sequence(payload, className)
        : List.of(payload);
  }

  /** The message of an exception whose payload is its args: the only str, or their repr. */
  private String message() {
    List<Object> args = args();
    if (args.size() == 1 && args.getFirst() instanceof String s) {
      return s;
    }
    if (args.size() == 1 && args.getFirst() instanceof Bytes b) {
      return b.latin1();
    }
    return WireValues.repr(payload);
  }
}
