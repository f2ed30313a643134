package org.zbig.zodb.pickle;

import static org.zbig.zodb.pickle.Opcodes.APPEND;
import static org.zbig.zodb.pickle.Opcodes.APPENDS;
import static org.zbig.zodb.pickle.Opcodes.BINBYTES;
import static org.zbig.zodb.pickle.Opcodes.BINFLOAT;
import static org.zbig.zodb.pickle.Opcodes.BINGET;
import static org.zbig.zodb.pickle.Opcodes.BININT;
import static org.zbig.zodb.pickle.Opcodes.BININT1;
import static org.zbig.zodb.pickle.Opcodes.BININT2;
import static org.zbig.zodb.pickle.Opcodes.BINPERSID;
import static org.zbig.zodb.pickle.Opcodes.BINPUT;
import static org.zbig.zodb.pickle.Opcodes.BINUNICODE;
import static org.zbig.zodb.pickle.Opcodes.BUILD;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_DICT;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_LIST;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_TUPLE;
import static org.zbig.zodb.pickle.Opcodes.GLOBAL;
import static org.zbig.zodb.pickle.Opcodes.LONG1;
import static org.zbig.zodb.pickle.Opcodes.LONG4;
import static org.zbig.zodb.pickle.Opcodes.LONG_BINGET;
import static org.zbig.zodb.pickle.Opcodes.LONG_BINPUT;
import static org.zbig.zodb.pickle.Opcodes.MARK;
import static org.zbig.zodb.pickle.Opcodes.NEWFALSE;
import static org.zbig.zodb.pickle.Opcodes.NEWOBJ;
import static org.zbig.zodb.pickle.Opcodes.NEWTRUE;
import static org.zbig.zodb.pickle.Opcodes.NONE;
import static org.zbig.zodb.pickle.Opcodes.PROTO;
import static org.zbig.zodb.pickle.Opcodes.REDUCE;
import static org.zbig.zodb.pickle.Opcodes.SETITEM;
import static org.zbig.zodb.pickle.Opcodes.SETITEMS;
import static org.zbig.zodb.pickle.Opcodes.SHORT_BINBYTES;
import static org.zbig.zodb.pickle.Opcodes.STOP;
import static org.zbig.zodb.pickle.Opcodes.TUPLE;
import static org.zbig.zodb.pickle.Opcodes.TUPLE1;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Encodes pickle values as protocol 3, byte for byte as CPython's and zodbpickle's C pickler do
 * (docs/formats.md §1.4): the smallest int opcode, {@code BINUNICODE} for str, {@code
 * SHORT_BINBYTES}/{@code BINBYTES} for bytes, {@code TUPLE1..3}, {@code APPENDS}/{@code SETITEMS}
 * in batches of 1000 (a one-item list or dict uses {@code APPEND}/{@code SETITEM}), no protocol-4
 * opcodes.
 *
 * <p>Memo: when memoizing (the default), str, bytes, non-empty tuples, lists, dicts and objects are
 * memoized by <em>identity</em>, globals by value, as Python does; a value written again becomes
 * {@code BINGET}. Values decoded by {@link PickleReader} keep the sharing of the pickle they came
 * from, so re-encoding reproduces it. One writer can write several pickles with one memo, as ZODB
 * writes a record's class and state pickles. ZEO messages are written without memo ({@code fast}
 * mode).
 *
 * <p>Large byte strings can be <em>spliced</em> instead of copied ({@link #spliceBytesOfAtLeast}):
 * the writer then keeps a reference to their memory and {@link #pieces()} hands the pickle out as
 * consecutive segments, so a 2 MiB record travels from storage to socket without a copy here.
 *
 * <p>Not thread-safe.
 */
public final class PickleWriter {
  private static final int BATCH = 1000;
  // views of the byte array, not segments over it: see Oid.longToBytes
  private static final VarHandle LE_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle BE_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final boolean memoize;
  private final Function<Object, Object> persistentId;
  private final Map<Object, Integer> memo; // empty and unused without memoize
  private final Map<Global, Integer> globalMemo; // the same
  private int memoCount;
  private byte[] buf = new byte[256];
  private int len;
  private long spliceThreshold = Long.MAX_VALUE;
  private final List<Splice> splices = new ArrayList<>();
  private long splicedBytes;

  /** A byte string referenced, not copied, where the buffer's position was {@code at}. */
  private record Splice(int at, MemorySegment bytes) {}

  /** A memoizing writer without persistent-id hook. */
  public PickleWriter() {
    this(true, v -> null);
  }

  /**
   * A writer.
   *
   * @param memoize false for Python's {@code fast} mode: no memo at all (ZEO messages)
   * @param persistentId called for every value before it is written; a non-null result is written
   *     as that value's persistent id ({@code pid BINPERSID}), as Python's {@code persistent_id}
   */
  public PickleWriter(boolean memoize, Function<Object, Object> persistentId) {
    this.memoize = memoize;
    this.persistentId = persistentId;
    // a message's writer lives for one message: no maps to make for it
    this.memo = memoize ? new IdentityHashMap<>() : Map.of();
    this.globalMemo = memoize ? new HashMap<>() : Map.of();
  }

  /** One memoizing protocol-3 pickle of {@code value}. */
  public static byte[] dumps(Object value) {
    return new PickleWriter().dump(value).toByteArray();
  }

  /**
   * Appends one pickle of {@code value} ({@code PROTO 3}, the value, {@code STOP}), keeping the
   * memo of earlier pickles.
   *
   * @throws PickleException if the value holds something protocol 3 cannot express here (a set, a
   *     Java object of another type); nothing is appended then
   */
  public PickleWriter dump(Object value) {
    int mark = len;
    int memoMark = memoCount;
    int spliceMark = splices.size();
    try {
      write(PROTO);
      write(3);
      save(value);
      write(STOP);
      return this;
    } catch (RuntimeException | StackOverflowError e) {
      len = mark;
      while (splices.size() > spliceMark) {
        splicedBytes -= splices.removeLast().bytes().byteSize();
      }
      if (memoCount != memoMark) {
        memo.values().removeIf(i -> i >= memoMark);
        globalMemo.values().removeIf(i -> i >= memoMark);
        memoCount = memoMark;
      }
      if (e instanceof PickleException p) {
        throw p;
      }
      throw new PickleException(-1, "cannot pickle: " + e, e);
    }
  }

  /**
   * From now on, byte strings ({@link Bytes}, {@code byte[]}) of at least {@code threshold} bytes
   * are referenced instead of copied: their memory must not change until the pickle has been used
   * up, and {@link #pieces()} is the way to read it without a copy.
   *
   * @return this writer
   */
  public PickleWriter spliceBytesOfAtLeast(long threshold) {
    if (threshold < 1) {
      throw new IllegalArgumentException("splice threshold: " + threshold + " (expected: >= 1)");
    }
    this.spliceThreshold = threshold;
    return this;
  }

  /** Bytes written so far, spliced byte strings included. */
  public long size() {
    return len + splicedBytes;
  }

  /** A copy of the bytes written so far, spliced byte strings included. */
  public byte[] toByteArray() {
    if (splices.isEmpty()) {
      return Arrays.copyOf(buf, len);
    }
    long total = size();
    if (total > Integer.MAX_VALUE - 8) {
      throw new PickleException(-1, "pickle of " + total + " bytes does not fit one array");
    }
    byte[] out = new byte[(int) total];
    int o = 0;
    for (MemorySegment piece : pieces()) {
      MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, 0, out, o, (int) piece.byteSize());
      o += (int) piece.byteSize();
    }
    return out;
  }

  /**
   * The bytes written so far, without a copy where there is nothing spliced: a view of the writer's
   * buffer, which must not be written to afterwards (the writer is done with).
   */
  public Bytes toBytes() {
    if (splices.isEmpty()) {
      return Bytes.view(MemorySegment.ofArray(buf).asSlice(0, len));
    }
    return Bytes.wrap(toByteArray());
  }

  /**
   * The bytes written so far as consecutive segments without copying: slices of the writer's buffer
   * alternating with the spliced byte strings. The buffer slices stay valid as long as nothing more
   * is written.
   */
  public List<MemorySegment> pieces() {
    MemorySegment all = MemorySegment.ofArray(buf);
    List<MemorySegment> out = new ArrayList<>(2 * splices.size() + 1);
    int from = 0;
    for (Splice s : splices) {
      if (s.at() > from) {
        out.add(all.asSlice(from, s.at() - from));
      }
      out.add(s.bytes());
      from = s.at();
    }
    if (len > from) {
      out.add(all.asSlice(from, len - from));
    }
    return out;
  }

  private void save(Object v) {
    Object pid = persistentId.apply(v);
    if (pid != null) {
      save(pid);
      write(BINPERSID);
      return;
    }
    switch (v) {
      case null -> write(NONE);
      case Boolean b -> write(b ? NEWTRUE : NEWFALSE);
      case Long l -> saveLong(l);
      case Integer i -> saveLong(i);
      case Short s -> saveLong(s);
      case Byte b -> saveLong(b);
      case BigInteger b -> saveBig(b);
      case Double d -> saveFloat(d);
      case Float f -> saveFloat(f);
      case Global g -> saveGlobal(g);
      case PersistentId p -> {
        save(p.pid());
        write(BINPERSID);
      }
      default -> {
        if (!saveGet(v)) {
          saveNew(v);
        }
      }
    }
  }

  /** Writes a GET if {@code v} is memoized. */
  private boolean saveGet(Object v) {
    if (!memoize) {
      return false; // nothing to look up (an identity hash per value of every message)
    }
    Integer i = memo.get(v);
    if (i == null) {
      return false;
    }
    writeMemoOp(i, BINGET, LONG_BINGET);
    return true;
  }

  private void saveNew(Object v) {
    switch (v) {
      case String s -> {
        long n = Utf8.encodedLength(s);
        if (n > 0xFFFF_FFFFL) {
          throw new PickleException(-1, "str of " + n + " UTF-8 bytes (expected: < 4 GiB)");
        }
        write(BINUNICODE);
        writeInt((int) n);
        ensure((int) n);
        len = Utf8.encode(s, buf, len);
        memoize(v);
      }
      case Bytes b -> {
        saveBytesHeader(b.length());
        writeSegment(b.segment());
        memoize(v);
      }
      case byte[] b -> {
        saveBytesHeader(b.length);
        writeSegment(MemorySegment.ofArray(b));
        memoize(v);
      }
      case Tuple t -> saveTuple(t);
      case List<?> l -> {
        write(EMPTY_LIST);
        memoize(v);
        saveBatched(l.iterator(), l.size(), false, APPEND, APPENDS);
      }
      case Map<?, ?> m -> {
        write(EMPTY_DICT);
        memoize(v);
        saveBatched(m.entrySet().iterator(), m.size(), true, SETITEM, SETITEMS);
      }
      case PyObject o -> {
        save(o.callable());
        save(o.args());
        write(o.kind() == PyObject.Kind.NEWOBJ ? NEWOBJ : REDUCE);
        memoize(v);
        if (o.hasState()) {
          save(o.state());
          write(BUILD);
        }
      }
      case Set<?> s ->
          throw new PickleException(-1, "cannot pickle a set in protocol 3 without globals");
      default ->
          throw new PickleException(
              -1, "cannot pickle " + v.getClass().getName() + " (not a pickle value)");
    }
  }

  private void saveTuple(Tuple t) {
    int n = t.size();
    if (n == 0) {
      write(EMPTY_TUPLE);
      return;
    }
    if (n > 3) {
      write(MARK);
    }
    for (int i = 0; i < n; i++) {
      save(t.get(i));
    }
    write(n > 3 ? TUPLE : TUPLE1 + n - 1);
    memoize(t);
  }

  private void saveBatched(Iterator<?> it, int size, boolean pairs, int one, int many) {
    if (size == 0) {
      return;
    }
    if (size == 1) {
      saveItem(it.next(), pairs);
      write(one);
      return;
    }
    while (it.hasNext()) {
      write(MARK);
      for (int k = 0; k < BATCH && it.hasNext(); k++) {
        saveItem(it.next(), pairs);
      }
      write(many);
    }
  }

  private void saveItem(Object item, boolean pair) {
    if (pair) {
      Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
      save(e.getKey());
      save(e.getValue());
    } else {
      save(item);
    }
  }

  private void saveGlobal(Global g) {
    Integer i = memoize ? globalMemo.get(g) : null;
    if (i != null) {
      writeMemoOp(i, BINGET, LONG_BINGET);
      return;
    }
    write(GLOBAL);
    for (String part : List.of(g.module(), g.name())) {
      ensure((int) Utf8.encodedLength(part) + 1);
      len = Utf8.encode(part, buf, len);
      buf[len++] = '\n';
    }
    if (memoize) {
      globalMemo.put(g, memoCount);
      writeMemoOp(memoCount++, BINPUT, LONG_BINPUT);
    }
  }

  private void saveLong(long v) {
    if (v >= 0 && v <= 0xff) {
      write(BININT1);
      write((int) v);
    } else if (v >= 0 && v <= 0xffff) {
      write(BININT2);
      write((int) v & 0xff);
      write((int) v >>> 8);
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      write(BININT);
      writeInt((int) v);
    } else {
      saveBig(BigInteger.valueOf(v));
    }
  }

  private void saveBig(BigInteger v) {
    if (v.bitLength() < 32) {
      saveLong(v.longValue());
      return;
    }
    byte[] be = v.toByteArray(); // minimal two's complement, as Python's encode_long
    int n = be.length;
    if (n < 256) {
      write(LONG1);
      write(n);
    } else {
      write(LONG4);
      writeInt(n);
    }
    ensure(n);
    for (int i = n - 1; i >= 0; i--) {
      buf[len++] = be[i];
    }
  }

  private void saveFloat(double d) {
    write(BINFLOAT);
    ensure(8);
    BE_LONG.set(buf, len, Double.doubleToRawLongBits(d));
    len += 8;
  }

  private void saveBytesHeader(long n) {
    if (n <= 0xff) {
      write(SHORT_BINBYTES);
      write((int) n);
    } else if (n <= 0xFFFF_FFFFL) {
      write(BINBYTES);
      writeInt((int) n);
    } else {
      throw new PickleException(-1, "bytes of " + n + " bytes (expected: < 4 GiB in protocol 3)");
    }
  }

  private void memoize(Object v) {
    if (memoize) {
      memo.put(v, memoCount);
      writeMemoOp(memoCount++, BINPUT, LONG_BINPUT);
    }
  }

  private void writeMemoOp(int index, int shortOp, int longOp) {
    if (index < 256) {
      write(shortOp);
      write(index);
    } else {
      write(longOp);
      writeInt(index);
    }
  }

  private void writeSegment(MemorySegment s) {
    if (s.byteSize() >= spliceThreshold) {
      splices.add(new Splice(len, s));
      splicedBytes += s.byteSize();
      return;
    }
    int n = (int) s.byteSize();
    ensure(n);
    MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, buf, len, n);
    len += n;
  }

  private static final int GROWTH_ROOM = 256;

  private void writeInt(int v) {
    ensure(4);
    LE_INT.set(buf, len, v);
    len += 4;
  }

  private void write(int b) {
    ensure(1);
    buf[len++] = (byte) b;
  }

  private void ensure(int n) {
    if (buf.length - len < n) {
      // doubling, or, for one big write, its size with room for what follows it (memo op, STOP):
      // a 2 MiB byte string costs one copy into the buffer instead of three
      long want = Math.max((long) len + n + GROWTH_ROOM, 2L * buf.length);
      if (want > Integer.MAX_VALUE - 8) {
        if ((long) len + n > Integer.MAX_VALUE - 8) {
          throw new PickleException(-1, "pickle larger than 2 GiB");
        }
        want = Integer.MAX_VALUE - 8;
      }
      buf = Arrays.copyOf(buf, (int) want);
    }
  }
}
