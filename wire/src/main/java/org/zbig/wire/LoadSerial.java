package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code loadSerial(oid, serial)}: the record written by transaction {@code serial}
 * (docs/protocol.md §3.2).
 *
 * @param msgid the id the reply echoes
 * @param oid the object
 * @param serial the revision
 */
public record LoadSerial(MsgId msgid, Oid oid, Tid serial) implements SyncRequest<Bytes> {
  /** The method name on the wire. */
  public static final String METHOD = "loadSerial";

  /** Checks the fields. */
  public LoadSerial {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(oid, "oid");
    Objects.requireNonNull(serial, "serial");
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public Tuple args() {
    return Tuple.of(WireValues.bytes(oid), WireValues.bytes(serial));
  }

  static LoadSerial decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    return new LoadSerial(msgid, a.oid(0, "oid"), a.tid(1, "serial"));
  }

  @Override
  public Bytes decodeResult(Object value) {
    return WireValues.bytes(value, METHOD + " result");
  }

  @Override
  public Object encodeResult(Bytes result) {
    return result;
  }
}
