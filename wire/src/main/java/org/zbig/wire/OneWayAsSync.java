package org.zbig.wire;

import java.util.Objects;
import org.zbig.zodb.pickle.Tuple;

/**
 * A method that clients normally call one-way, called synchronously: ZEO's server runs any method
 * either way, as the client chooses, and answers a synchronous call with the method's result
 * ({@code None}) or its error. ZEO's own tests call {@code iterator_gc} so.
 *
 * @param msgid the id the reply echoes
 * @param request the call
 */
public record OneWayAsSync(MsgId msgid, OneWayRequest request) implements SyncRequest<Void> {
  /** Checks the fields. */
  public OneWayAsSync {
    Objects.requireNonNull(msgid, "msgid");
    Objects.requireNonNull(request, "request");
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public Tuple args() {
    return request.args();
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
