package org.zbig.client.bigfile;

import java.lang.foreign.MemorySegment;
import org.zbig.zblk.ZBlk0Codec;
import org.zbig.zodb.pickle.Bytes;

/**
 * {@code wendelin.bigfile.file_zodb.ZBlk0}: a whole block, trailing zeros trimmed (docs/formats.md
 * §4.2).
 *
 * <p>A block written from a page at commit ({@link #setBlock}) holds its whole record, built at
 * once in a native buffer of its file's {@link RecordBuffers}; its {@link #data()} is a view of
 * that record, and the connection stores the record as it is. Once the block is committed and drops
 * its state (it is deactivated after the commit, or made a ghost), the buffer goes back for reuse:
 * a {@link #data()} kept past that point may then change, so copy what must be kept longer.
 */
public final class ZBlk0 extends TrimmedBytes {
  private Bytes record; // the whole record of the data, when written by setBlock
  private MemorySegment buffer; // the record's memory
  private RecordBuffers buffers; // where it goes back

  /** An empty block. */
  public ZBlk0() {}

  /** Sets the data to {@code page} without its trailing zeros, as its whole record when it can. */
  void setBlock(MemorySegment page, RecordBuffers from) {
    Bytes data = ZBlk0Codec.encode(page); // a view of the page without its trailing zeros
    if (data.length() < 256) { // SHORT_BINBYTES: a small copy, pickled the general way
      setData(Bytes.wrap(data.toByteArray()));
      return;
    }
    MemorySegment buf = from.take();
    long n;
    try {
      n = ZBlk0Codec.writeRecord(data.segment(), buf); // trimmed already: no second scan
    } catch (RuntimeException e) {
      from.give(buf);
      throw e;
    }
    long at = ZBlk0Codec.recordDataOffset();
    super.setData(
        Bytes.view(buf.asSlice(at, n - at - ZBlk0Codec.recordSuffixLength()).asReadOnly()));
    record = Bytes.view(buf.asSlice(0, n));
    buffer = buf;
    buffers = from;
  }

  @Override
  void setData(Bytes data) {
    super.setData(data);
    forgetRecord();
  }

  @Override
  protected void setState(Object state) {
    forgetRecord();
    super.setState(state);
  }

  @Override
  protected void clearState() {
    // cleared while up to date: the record was committed, the socket is done with it; else (a
    // change dropped, say) it may be in flight still, and the garbage collector takes it
    MemorySegment back = state() == State.UP_TO_DATE ? buffer : null;
    RecordBuffers to = buffers;
    forgetRecord();
    super.clearState();
    if (back != null) {
      to.give(back);
    }
  }

  @Override
  protected Bytes encodedRecord() {
    return record;
  }

  private void forgetRecord() {
    record = null;
    buffer = null;
    buffers = null;
  }
}
