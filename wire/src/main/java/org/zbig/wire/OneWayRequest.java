package org.zbig.wire;

/**
 * A one-way call: sent with msgid 0 and flag true, never answered; a server that cannot perform it
 * closes the connection (docs/protocol.md §1.6).
 */
public sealed interface OneWayRequest extends Request
    permits SetClientLabel,
        TpcBegin,
        StoreA,
        CheckCurrentSerial,
        DeleteObject,
        RestoreA,
        UndoA,
        StoreBlobStart,
        StoreBlobChunk,
        StoreBlobEnd,
        StoreBlobShared,
        IteratorGc {}
