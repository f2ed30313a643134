package org.zbig.server;

import java.util.ArrayList;
import java.util.List;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.OneWayRequest;
import org.zbig.zodb.Tid;

/** The open transaction of one connection: its metadata and operations, replayed at vote. */
final class Txn {
  final long id;
  final TxnMeta meta;
  final Tid requestedTid;
  final List<OneWayRequest> ops = new ArrayList<>();
  Tid tid; // set by a successful vote
  List<Write> writes;

  Txn(long id, TxnMeta meta, Tid requestedTid) {
    this.id = id;
    this.meta = meta;
    this.requestedTid = requestedTid;
  }

  boolean voted() {
    return tid != null;
  }
}
