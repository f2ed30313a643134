package org.zbig.zodb.pickle;

import static org.zbig.zodb.pickle.Opcodes.ADDITEMS;
import static org.zbig.zodb.pickle.Opcodes.APPEND;
import static org.zbig.zodb.pickle.Opcodes.APPENDS;
import static org.zbig.zodb.pickle.Opcodes.BINBYTES;
import static org.zbig.zodb.pickle.Opcodes.BINBYTES8;
import static org.zbig.zodb.pickle.Opcodes.BINFLOAT;
import static org.zbig.zodb.pickle.Opcodes.BINGET;
import static org.zbig.zodb.pickle.Opcodes.BININT;
import static org.zbig.zodb.pickle.Opcodes.BININT1;
import static org.zbig.zodb.pickle.Opcodes.BININT2;
import static org.zbig.zodb.pickle.Opcodes.BINPERSID;
import static org.zbig.zodb.pickle.Opcodes.BINPUT;
import static org.zbig.zodb.pickle.Opcodes.BINSTRING;
import static org.zbig.zodb.pickle.Opcodes.BINUNICODE;
import static org.zbig.zodb.pickle.Opcodes.BINUNICODE8;
import static org.zbig.zodb.pickle.Opcodes.BUILD;
import static org.zbig.zodb.pickle.Opcodes.BYTEARRAY8;
import static org.zbig.zodb.pickle.Opcodes.DICT;
import static org.zbig.zodb.pickle.Opcodes.DUP;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_DICT;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_LIST;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_SET;
import static org.zbig.zodb.pickle.Opcodes.EMPTY_TUPLE;
import static org.zbig.zodb.pickle.Opcodes.EXT1;
import static org.zbig.zodb.pickle.Opcodes.EXT2;
import static org.zbig.zodb.pickle.Opcodes.EXT4;
import static org.zbig.zodb.pickle.Opcodes.FLOAT;
import static org.zbig.zodb.pickle.Opcodes.FRAME;
import static org.zbig.zodb.pickle.Opcodes.FROZENSET;
import static org.zbig.zodb.pickle.Opcodes.GET;
import static org.zbig.zodb.pickle.Opcodes.GLOBAL;
import static org.zbig.zodb.pickle.Opcodes.INST;
import static org.zbig.zodb.pickle.Opcodes.INT;
import static org.zbig.zodb.pickle.Opcodes.LIST;
import static org.zbig.zodb.pickle.Opcodes.LONG;
import static org.zbig.zodb.pickle.Opcodes.LONG1;
import static org.zbig.zodb.pickle.Opcodes.LONG4;
import static org.zbig.zodb.pickle.Opcodes.LONG_BINGET;
import static org.zbig.zodb.pickle.Opcodes.LONG_BINPUT;
import static org.zbig.zodb.pickle.Opcodes.MARK;
import static org.zbig.zodb.pickle.Opcodes.MEMOIZE;
import static org.zbig.zodb.pickle.Opcodes.NEWFALSE;
import static org.zbig.zodb.pickle.Opcodes.NEWOBJ;
import static org.zbig.zodb.pickle.Opcodes.NEWOBJ_EX;
import static org.zbig.zodb.pickle.Opcodes.NEWTRUE;
import static org.zbig.zodb.pickle.Opcodes.NEXT_BUFFER;
import static org.zbig.zodb.pickle.Opcodes.NONE;
import static org.zbig.zodb.pickle.Opcodes.OBJ;
import static org.zbig.zodb.pickle.Opcodes.PERSID;
import static org.zbig.zodb.pickle.Opcodes.POP;
import static org.zbig.zodb.pickle.Opcodes.POP_MARK;
import static org.zbig.zodb.pickle.Opcodes.PROTO;
import static org.zbig.zodb.pickle.Opcodes.PUT;
import static org.zbig.zodb.pickle.Opcodes.READONLY_BUFFER;
import static org.zbig.zodb.pickle.Opcodes.REDUCE;
import static org.zbig.zodb.pickle.Opcodes.SETITEM;
import static org.zbig.zodb.pickle.Opcodes.SETITEMS;
import static org.zbig.zodb.pickle.Opcodes.SHORT_BINBYTES;
import static org.zbig.zodb.pickle.Opcodes.SHORT_BINSTRING;
import static org.zbig.zodb.pickle.Opcodes.SHORT_BINUNICODE;
import static org.zbig.zodb.pickle.Opcodes.STACK_GLOBAL;
import static org.zbig.zodb.pickle.Opcodes.STOP;
import static org.zbig.zodb.pickle.Opcodes.STRING;
import static org.zbig.zodb.pickle.Opcodes.TUPLE;
import static org.zbig.zodb.pickle.Opcodes.TUPLE1;
import static org.zbig.zodb.pickle.Opcodes.TUPLE2;
import static org.zbig.zodb.pickle.Opcodes.TUPLE3;
import static org.zbig.zodb.pickle.Opcodes.UNICODE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Decodes pickles (protocols 0 to 5) into the value model of {@link PickleValues}, building no
 * application objects: globals go through a {@link GlobalResolver} (the allow-list), {@code
 * REDUCE}/{@code NEWOBJ}/{@code BUILD} yield {@link PyObject} descriptions, and persistent ids go
 * through a persistent-load hook. Byte strings are zero-copy slices of the input.
 *
 * <p>One reader decodes consecutive pickles of one input with one memo: {@link #load()} twice reads
 * a ZODB record's class pickle and then its state pickle, whose {@code BINGET}s may refer to memo
 * entries of the first (docs/formats.md §1.1).
 *
 * <p>Every failure is a {@link PickleException} naming the offset: truncated input, unknown
 * opcodes, a length longer than the rest of the input (checked before anything is allocated), stack
 * or mark underflow, memo misses, unhashable dict keys, nesting too deep for the JVM stack. Every
 * opcode consumes at least one byte, so decoding ends.
 *
 * <p>Not thread-safe.
 */
public final class PickleReader {
  /** Python's default limit on the digits of a decimal int (3.11+), which bounds parse time. */
  static final int MAX_INT_DIGITS = 4300;

  private static final ValueLayout.OfInt LE_INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong BE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfShort LE_SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final Object ABSENT = new Object();

  private static final Object[] NO_MEMO = {};
  private static final Map<String, String> PY2_MODULES =
      Map.of("__builtin__", "builtins", "copy_reg", "copyreg", "exceptions", "builtins");

  private final MemorySegment in;
  private final long limit;
  private final GlobalResolver globals;
  private final UnaryOperator<Object> persistentLoad;
  private long pos;
  private int proto;

  private Object[] stack = new Object[16];
  private int sp;
  private int[] marks = new int[8];
  private int markCount;

  // memo: slots below dense.length live in dense (ABSENT = empty), others in sparse; made at the
  // first MEMOIZE or PUT: most messages have none, and a table made and filled for each of them was
  // 4% of a ZEO client's network thread under small loads
  private Object[] dense = NO_MEMO;
  private Map<Long, Object> sparse;
  private long memoSize; // number of filled slots, for MEMOIZE

  /**
   * A reader of the pickles in {@code input} from offset 0, with opaque globals and persistent ids
   * decoded as {@link PersistentId}.
   */
  public PickleReader(MemorySegment input) {
    this(input, 0, GlobalResolver.opaque(), PersistentId::new);
  }

  /**
   * A reader of the pickles in {@code input}.
   *
   * @param input the bytes; they must not change while decoded values are in use
   * @param offset where the first pickle starts
   * @param globals what globals become (and which are refused)
   * @param persistentLoad what a persistent id becomes; it may throw {@link PickleException}
   */
  public PickleReader(
      MemorySegment input,
      long offset,
      GlobalResolver globals,
      UnaryOperator<Object> persistentLoad) {
    this.in = Objects.requireNonNull(input, "input");
    this.limit = input.byteSize();
    Objects.checkFromToIndex(offset, limit, limit);
    this.pos = offset;
    this.globals = Objects.requireNonNull(globals, "globals");
    this.persistentLoad = Objects.requireNonNull(persistentLoad, "persistentLoad");
  }

  /** Decodes one whole pickle from {@code data} (opaque globals, {@link PersistentId}s). */
  public static Object loads(byte[] data) {
    return new PickleReader(MemorySegment.ofArray(data)).load();
  }

  /** The offset of the next byte to read: after {@link #load()}, just past its STOP. */
  public long position() {
    return pos;
  }

  /** Whether the input is used up. */
  public boolean atEnd() {
    return pos >= limit;
  }

  /**
   * Decodes the next pickle, up to and including its STOP, keeping the memo of earlier ones.
   *
   * @return the pickled value
   * @throws PickleException if the input is not a well-formed pickle
   */
  public Object load() {
    sp = 0;
    markCount = 0;
    try {
      return run();
    } catch (PickleException e) {
      throw e.offset() >= 0 ? e : new PickleException(pos, e.getMessage(), e);
    } catch (StackOverflowError e) {
      throw new PickleException(pos, "values nested too deeply", e);
    } catch (RuntimeException e) {
      throw new PickleException(pos, "cannot decode: " + e, e);
    } finally {
      Arrays.fill(stack, 0, sp, null);
      sp = 0;
    }
  }

  private Object run() {
    for (; ; ) {
      long at = pos;
      int op = u8();
      switch (op) {
        case PROTO -> {
          int v = u8();
          if (v > 5) {
            throw fail(at, "unsupported pickle protocol: " + v + " (expected: 0..5)");
          }
          proto = v;
        }
        case FRAME -> {
          long n = in.get(LE_LONG, need(8));
          if (n < 0 || n > limit - pos) {
            throw fail(at, "frame of " + Long.toUnsignedString(n) + " bytes exceeds the input");
          }
        }
        case STOP -> {
          if (sp == 0) {
            throw fail(at, "STOP with an empty stack");
          }
          return stack[--sp];
        }
        case MARK -> {
          if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, markCount * 2);
          }
          marks[markCount++] = sp;
        }
        case POP -> {
          if (sp > floor()) {
            stack[--sp] = null;
          } else {
            popMark(at);
          }
        }
        case POP_MARK -> popMark(at);
        case DUP -> push(peek(at));

        case NONE -> push(null);
        case NEWTRUE -> push(Boolean.TRUE);
        case NEWFALSE -> push(Boolean.FALSE);
        case BININT -> push((long) in.get(LE_INT, need(4)));
        case BININT1 -> push((long) u8());
        case BININT2 -> push((long) Short.toUnsignedInt(in.get(LE_SHORT, need(2))));
        case LONG1 -> push(littleEndianInt(u8()));
        case LONG4 -> {
          int n = in.get(LE_INT, need(4));
          if (n < 0) {
            throw fail(at, "LONG4 byte count: " + n + " (expected: >= 0)");
          }
          push(littleEndianInt(checkLength(at, n)));
        }
        case INT -> {
          String s = asciiLine(at);
          push(
              switch (s) {
                case "00" -> Boolean.FALSE;
                case "01" -> Boolean.TRUE;
                default -> parseInt(at, s);
              });
        }
        case LONG -> {
          String s = asciiLine(at);
          push(parseInt(at, s.endsWith("L") ? s.substring(0, s.length() - 1) : s));
        }
        case BINFLOAT -> push(Double.longBitsToDouble(in.get(BE_LONG, need(8))));
        case FLOAT -> push(parseFloat(at, asciiLine(at)));

        case BINUNICODE -> push(text(at, Integer.toUnsignedLong(in.get(LE_INT, need(4)))));
        case SHORT_BINUNICODE -> push(text(at, u8()));
        case BINUNICODE8 -> push(text(at, in.get(LE_LONG, need(8))));
        case UNICODE -> push(rawUnicodeEscape(at, lineEnd(at)));
        case BINBYTES, BINSTRING -> {
          long n =
              op == BINBYTES
                  ? Integer.toUnsignedLong(in.get(LE_INT, need(4)))
                  : in.get(LE_INT, need(4));
          push(bytes(at, n));
        }
        case SHORT_BINBYTES, SHORT_BINSTRING -> push(bytes(at, u8()));
        case BINBYTES8, BYTEARRAY8 -> push(bytes(at, in.get(LE_LONG, need(8))));
        case STRING -> push(quotedString(at));

        case EMPTY_TUPLE -> push(Tuple.EMPTY);
        case TUPLE1, TUPLE2, TUPLE3 -> {
          int n = op - TUPLE1 + 1;
          if (sp - n < floor()) {
            throw fail(at, "TUPLE" + n + " needs " + n + " items above the mark, stack has fewer");
          }
          Object[] items = take(sp - n);
          push(Tuple.own(items));
        }
        case TUPLE -> push(Tuple.own(popMark(at)));
        case EMPTY_LIST -> push(new ArrayList<>());
        case LIST -> push(new ArrayList<>(Arrays.asList(popMark(at))));
        case APPEND -> {
          Object v = pop(at);
          list(at, peek(at)).add(v);
        }
        case APPENDS -> {
          Object[] items = popMark(at);
          list(at, peek(at)).addAll(Arrays.asList(items));
        }
        case EMPTY_DICT -> push(new LinkedHashMap<>());
        case DICT -> {
          Object[] items = popMark(at);
          Map<Object, Object> d = new LinkedHashMap<>();
          putAll(at, d, items);
          push(d);
        }
        case SETITEM -> {
          Object v = pop(at);
          Object k = pop(at);
          putAll(at, dict(at, peek(at)), new Object[] {k, v});
        }
        case SETITEMS -> {
          Object[] items = popMark(at);
          putAll(at, dict(at, peek(at)), items);
        }
        case EMPTY_SET -> push(new LinkedHashSet<>());
        case ADDITEMS -> {
          Object[] items = popMark(at);
          if (!(peek(at) instanceof Set<?> s)) {
            throw fail(at, "ADDITEMS on " + PickleValues.typeName(peek(at)) + " (expected: set)");
          }
          @SuppressWarnings("unchecked")
          Set<Object> set = (Set<Object>) s;
          for (Object o : items) {
            set.add(hashable(at, o));
          }
        }
        case FROZENSET -> {
          Set<Object> set = new LinkedHashSet<>();
          for (Object o : popMark(at)) {
            set.add(hashable(at, o));
          }
          push(Collections.unmodifiableSet(set));
        }

        case GLOBAL -> {
          String module = utf8Line(at);
          String name = utf8Line(at);
          push(global(at, module, name));
        }
        case STACK_GLOBAL -> {
          Object name = pop(at);
          Object module = pop(at);
          if (!(module instanceof String m) || !(name instanceof String n)) {
            throw fail(
                at,
                "STACK_GLOBAL needs two str, got "
                    + PickleValues.typeName(module)
                    + " and "
                    + PickleValues.typeName(name));
          }
          push(global(at, m, n));
        }
        case REDUCE -> {
          Object args = pop(at);
          Object callable = pop(at);
          push(new PyObject(callable, tupleArgs(at, "REDUCE", args), PyObject.Kind.REDUCE));
        }
        case NEWOBJ -> {
          Object args = pop(at);
          Object cls = pop(at);
          push(new PyObject(cls, tupleArgs(at, "NEWOBJ", args), PyObject.Kind.NEWOBJ));
        }
        case NEWOBJ_EX -> {
          Object kwargs = pop(at);
          Object args = pop(at);
          Object cls = pop(at);
          if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
            throw fail(at, "NEWOBJ_EX with keyword arguments is not supported");
          }
          push(new PyObject(cls, tupleArgs(at, "NEWOBJ_EX", args), PyObject.Kind.NEWOBJ));
        }
        case INST -> {
          String module = utf8Line(at);
          String name = utf8Line(at);
          Object cls = global(at, module, name);
          push(new PyObject(cls, Tuple.own(popMark(at)), PyObject.Kind.REDUCE));
        }
        case OBJ -> {
          Object[] items = popMark(at);
          if (items.length == 0) {
            throw fail(at, "OBJ without a class");
          }
          push(
              new PyObject(
                  items[0],
                  Tuple.own(Arrays.copyOfRange(items, 1, items.length)),
                  PyObject.Kind.REDUCE));
        }
        case BUILD -> {
          Object state = pop(at);
          if (!(peek(at) instanceof PyObject o)) {
            throw fail(at, "BUILD on " + PickleValues.typeName(peek(at)) + " (expected: object)");
          }
          o.build(state);
        }
        case PERSID -> push(persistentLoad.apply(asciiLine(at)));
        case BINPERSID -> push(persistentLoad.apply(pop(at)));

        case PUT -> memoPut(at, parseIndex(at, asciiLine(at)));
        case BINPUT -> memoPut(at, u8());
        case LONG_BINPUT -> memoPut(at, Integer.toUnsignedLong(in.get(LE_INT, need(4))));
        case MEMOIZE -> memoPut(at, memoSize);
        case GET -> push(memoGet(at, parseIndex(at, asciiLine(at))));
        case BINGET -> push(memoGet(at, u8()));
        case LONG_BINGET -> push(memoGet(at, Integer.toUnsignedLong(in.get(LE_INT, need(4)))));

        case EXT1, EXT2, EXT4 ->
            throw fail(at, "extension registry codes (EXT1/2/4) are not supported");
        case NEXT_BUFFER, READONLY_BUFFER ->
            throw fail(at, "out-of-band buffers (protocol 5) are not supported");
        default -> throw fail(at, String.format(Locale.ROOT, "unknown opcode 0x%02x", op));
      }
    }
  }

  // ---- input ----

  private int u8() {
    if (pos >= limit) {
      throw fail(pos, "pickle ends before STOP");
    }
    return Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, pos++));
  }

  /** Reserves {@code n} bytes and returns their offset. */
  private long need(int n) {
    if (limit - pos < n) {
      throw fail(
          pos, "pickle ends inside an argument (need " + n + " bytes, have " + (limit - pos) + ")");
    }
    long at = pos;
    pos += n;
    return at;
  }

  /** Checks a declared length against the rest of the input, before anything is allocated. */
  private int checkLength(long at, long n) {
    if (n < 0 || n > limit - pos) {
      throw fail(
          at,
          "declared length "
              + (n < 0 ? Long.toUnsignedString(n) : Long.toString(n))
              + " exceeds the "
              + (limit - pos)
              + " bytes left in the input");
    }
    if (n > Integer.MAX_VALUE) {
      throw fail(at, "declared length " + n + " (expected: <= " + Integer.MAX_VALUE + ")");
    }
    return (int) n;
  }

  private Bytes bytes(long at, long n) {
    int len = checkLength(at, n);
    Bytes b = Bytes.view(in.asSlice(pos, len));
    pos += len;
    return b;
  }

  private String text(long at, long n) {
    int len = checkLength(at, n);
    String s = Utf8.decode(in, pos, len);
    pos += len;
    return s;
  }

  /** Finds the end of the current line (its LF), leaving pos at the line start. */
  private long lineEnd(long at) {
    for (long i = pos; i < limit; i++) {
      if (in.get(ValueLayout.JAVA_BYTE, i) == '\n') {
        return i;
      }
    }
    throw fail(at, "pickle ends inside a text argument (no line feed)");
  }

  private String asciiLine(long at) {
    long end = lineEnd(at);
    StringBuilder sb = new StringBuilder((int) Math.min(end - pos, 64));
    for (long i = pos; i < end; i++) {
      int c = Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, i));
      if (c >= 0x80) {
        throw fail(i, "non-ASCII byte 0x" + Integer.toHexString(c) + " in a text argument");
      }
      sb.append((char) c);
    }
    pos = end + 1;
    return sb.toString();
  }

  private String utf8Line(long at) {
    long end = lineEnd(at);
    String s = Utf8.decode(in, pos, end - pos);
    pos = end + 1;
    return s;
  }

  // ---- values ----

  private Object littleEndianInt(int n) {
    long at = need(n);
    if (n == 0) {
      return 0L;
    }
    if (n <= 8) {
      long v = 0;
      for (int i = n - 1; i >= 0; i--) {
        v = v << 8 | Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, at + i));
      }
      int shift = 64 - 8 * n;
      return (v << shift) >> shift;
    }
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) {
      be[n - 1 - i] = in.get(ValueLayout.JAVA_BYTE, at + i);
    }
    return PickleValues.integer(new BigInteger(be));
  }

  private Object parseInt(long at, String s) {
    String digits = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw fail(at, "invalid int literal: '" + s + "'");
    }
    if (digits.length() > MAX_INT_DIGITS) {
      throw fail(
          at,
          "int literal of " + digits.length() + " digits (expected: <= " + MAX_INT_DIGITS + ")");
    }
    return PickleValues.integer(new BigInteger(s));
  }

  private double parseFloat(long at, String s) {
    String t = s.strip().toLowerCase(Locale.ROOT);
    String body = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
    if (body.equals("inf") || body.equals("infinity")) {
      return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (body.equals("nan")) {
      return Double.NaN;
    }
    if (body.isEmpty()
        || !body.chars()
            .allMatch(c -> c >= '0' && c <= '9' || c == '.' || c == 'e' || c == '-' || c == '+')) {
      throw fail(at, "invalid float literal: '" + s + "'");
    }
    try {
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw fail(at, "invalid float literal: '" + s + "'");
    }
  }

  private long parseIndex(long at, String s) {
    if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw fail(at, "invalid memo index: '" + s + "'");
    }
    return Long.parseLong(s);
  }

  /** Protocol-0 {@code STRING}: a quoted Python 2 string literal with escapes, as bytes. */
  private Bytes quotedString(long at) {
    long end = lineEnd(at);
    long n = end - pos;
    byte[] line = in.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
    pos = end + 1;
    if (n < 2 || line[0] != line[(int) n - 1] || (line[0] != '"' && line[0] != '\'')) {
      throw fail(at, "the STRING opcode argument must be quoted");
    }
    byte[] out = new byte[(int) n - 2];
    int o = 0;
    for (int i = 1; i < n - 1; i++) {
      byte c = line[i];
      if (c != '\\') {
        out[o++] = c;
        continue;
      }
      if (++i >= n - 1) {
        throw fail(at, "trailing backslash in STRING");
      }
      char e = (char) line[i];
      switch (e) {
        case '\n' -> {}
        case '\\', '\'', '"' -> out[o++] = (byte) e;
        case 'a' -> out[o++] = 7;
        case 'b' -> out[o++] = 8;
        case 'f' -> out[o++] = 12;
        case 'n' -> out[o++] = '\n';
        case 'r' -> out[o++] = '\r';
        case 't' -> out[o++] = '\t';
        case 'v' -> out[o++] = 11;
        case 'x' -> {
          if (i + 2 > n - 2 || hex(line[i + 1]) < 0 || hex(line[i + 2]) < 0) {
            throw fail(at, "invalid \\x escape in STRING");
          }
          out[o++] = (byte) (hex(line[i + 1]) << 4 | hex(line[i + 2]));
          i += 2;
        }
        default -> {
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int k = 0;
                k < 2 && i + 1 < n - 1 && line[i + 1] >= '0' && line[i + 1] <= '7';
                k++) {
              v = v * 8 + line[++i] - '0';
            }
            out[o++] = (byte) v;
          } else {
            out[o++] = '\\';
            out[o++] = (byte) e;
          }
        }
      }
    }
    return Bytes.wrap(Arrays.copyOf(out, o));
  }

  /** Protocol-0 {@code UNICODE}: Latin-1 bytes with {@code \\uXXXX}/{@code \\UXXXXXXXX}. */
  private String rawUnicodeEscape(long at, long end) {
    StringBuilder sb = new StringBuilder();
    long i = pos;
    while (i < end) {
      int c = Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, i));
      if (c != '\\') {
        sb.append((char) c);
        i++;
        continue;
      }
      long run = 0;
      while (i + run < end && in.get(ValueLayout.JAVA_BYTE, i + run) == '\\') {
        run++;
      }
      long next = i + run;
      int u = next < end ? in.get(ValueLayout.JAVA_BYTE, next) : 0;
      if (run % 2 == 1 && (u == 'u' || u == 'U')) {
        sb.append("\\".repeat((int) run - 1));
        int digits = u == 'u' ? 4 : 8;
        if (next + digits >= end) {
          throw fail(at, "truncated \\" + (char) u + " escape in UNICODE");
        }
        int cp = 0;
        for (int k = 1; k <= digits; k++) {
          int h = hex(in.get(ValueLayout.JAVA_BYTE, next + k));
          if (h < 0) {
            throw fail(at, "invalid \\" + (char) u + " escape in UNICODE");
          }
          cp = cp << 4 | h;
        }
        if (cp < 0 || cp > Character.MAX_CODE_POINT) {
          throw fail(at, "\\U escape out of range in UNICODE");
        }
        sb.appendCodePoint(cp);
        i = next + 1 + digits;
      } else {
        sb.append("\\".repeat((int) run));
        i = next;
      }
    }
    pos = end + 1;
    return sb.toString();
  }

  private static int hex(byte b) {
    return Character.digit(b, 16);
  }

  private Object global(long at, String module, String name) {
    if (module.isEmpty() || name.isEmpty()) {
      throw fail(at, "global with an empty module or name");
    }
    String m = proto < 3 ? PY2_MODULES.getOrDefault(module, module) : module;
    try {
      return globals.resolve(m, name);
    } catch (PickleException e) {
      throw fail(at, e.getMessage());
    }
  }

  private Tuple tupleArgs(long at, String op, Object args) {
    if (args instanceof Tuple t) {
      return t;
    }
    throw fail(at, op + " arguments: " + PickleValues.typeName(args) + " (expected: tuple)");
  }

  @SuppressWarnings("unchecked")
  private List<Object> list(long at, Object o) {
    if (o instanceof List<?> l) {
      return (List<Object>) l;
    }
    throw fail(at, "APPEND to " + PickleValues.typeName(o) + " (expected: list)");
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> dict(long at, Object o) {
    if (o instanceof Map<?, ?> m) {
      return (Map<Object, Object>) m;
    }
    throw fail(at, "SETITEM on " + PickleValues.typeName(o) + " (expected: dict)");
  }

  private void putAll(long at, Map<Object, Object> d, Object[] items) {
    if (items.length % 2 != 0) {
      throw fail(at, "odd number of items (" + items.length + ") for a dict");
    }
    for (int i = 0; i < items.length; i += 2) {
      d.put(hashable(at, items[i]), items[i + 1]);
    }
  }

  private Object hashable(long at, Object key) {
    if (!PickleValues.isHashable(key)) {
      throw fail(
          at, "unhashable type: '" + PickleValues.typeName(key) + "' as dict key or set item");
    }
    return key;
  }

  // ---- stack and memo ----

  private void push(Object v) {
    if (sp == stack.length) {
      stack = Arrays.copyOf(stack, sp * 2);
    }
    stack[sp++] = v;
  }

  private Object pop(long at) {
    if (sp <= floor()) {
      throw fail(at, "stack underflow (nothing above the mark)");
    }
    Object v = stack[--sp];
    stack[sp] = null;
    return v;
  }

  private Object peek(long at) {
    if (sp <= floor()) {
      throw fail(at, "stack underflow (nothing above the mark)");
    }
    return stack[sp - 1];
  }

  private Object[] popMark(long at) {
    if (markCount == 0) {
      throw fail(at, "no MARK on the stack");
    }
    return take(marks[--markCount]);
  }

  /** The lowest stack slot the current opcode may pop: the last mark, or the bottom. */
  private int floor() {
    return markCount > 0 ? marks[markCount - 1] : 0;
  }

  /** Pops the items from slot {@code from} up, in stack order. */
  private Object[] take(int from) {
    Object[] items = Arrays.copyOfRange(stack, from, sp);
    Arrays.fill(stack, from, sp, null);
    sp = from;
    return items;
  }

  private void memoPut(long at, long index) {
    Object v = peek(at);
    boolean fresh;
    if (index < dense.length) {
      fresh = dense[(int) index] == ABSENT;
      dense[(int) index] = v;
    } else if (index <= memoSize + 256) {
      // sequential numbering, as every Python writer does: grow the dense table
      int old = dense.length;
      dense = Arrays.copyOf(dense, (int) Math.max(index + 1, Math.max(16, 2L * old)));
      Arrays.fill(dense, old, dense.length, ABSENT);
      fresh = true;
      dense[(int) index] = v;
    } else {
      if (sparse == null) {
        sparse = new HashMap<>();
      }
      fresh = !sparse.containsKey(index);
      sparse.put(index, v);
    }
    if (fresh) {
      memoSize++;
    }
  }

  private Object memoGet(long at, long index) {
    Object v =
        index < dense.length
            ? dense[(int) index]
            : sparse != null && sparse.containsKey(index) ? sparse.get(index) : ABSENT;
    if (v == ABSENT) {
      throw fail(at, "memo key " + index + " not found");
    }
    return v;
  }

  private static PickleException fail(long at, String message) {
    return new PickleException(at, message);
  }
}
