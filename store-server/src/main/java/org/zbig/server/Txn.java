package org.zbig.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.zbig.server.storage.TxnMeta;
import org.zbig.server.storage.Write;
import org.zbig.wire.OneWayRequest;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/** The open transaction of one connection: its metadata and operations, replayed at vote. */
final class Txn {
  final long id;
  final TxnMeta meta;
  final Tid requestedTid;
  final List<OneWayRequest> ops = new ArrayList<>();
  final List<Path> blobs = new ArrayList<>(); // uploaded blob files, deleted unless committed
  Path upload; // the blob being uploaded, between storeBlobStart and storeBlobEnd
  Tid tid; // set by a successful vote
  List<Write> writes;
  final Map<Oid, Path> blobOf = new HashMap<>(); // the last blob uploaded for each object

  Txn(long id, TxnMeta meta, Tid requestedTid) {
    this.id = id;
    this.meta = meta;
    this.requestedTid = requestedTid;
  }

  boolean voted() {
    return tid != null;
  }
}
