package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Tuple;

/**
 * {@code sendBlob(oid, serial)}: the server pushes the blob with {@code receiveBlob*} calls, then
 * answers None (docs/protocol.md §3.7).
 *
 * @param msgid the id the reply echoes
 * @param oid the object
 * @param serial the revision
 */
public record SendBlob(MsgId msgid, Oid oid, Tid serial) implements SyncRequest<Void> {
  /** The method name on the wire. */
  public static final String METHOD = "sendBlob";

  /** Checks the fields. */
  public SendBlob {
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

  static SendBlob decode(MsgId msgid, Args a) {
    a.arity(2, 2);
    return new SendBlob(msgid, a.oid(0, "oid"), a.tid(1, "serial"));
  }

  @Override
  public Void decodeResult(Object value) {
    return null;
  }

  @Override
  public Object encodeResult(Void result) {
    return null;
  }
}
