package org.zbig.bigarray;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.zbig.zodb.pickle.Global;
import org.zbig.zodb.pickle.PyObject;
import org.zbig.zodb.pickle.Tuple;

/**
 * A numpy data type: a scalar kind and size with its byte order, or a structure of named fields at
 * offsets (docs/formats.md §4.5). It reads and writes numpy's pickled form, {@code
 * numpy.dtype(code, False, True)} with the 8-element version-3 state.
 *
 * @param kind numpy's kind character: {@code b} bool, {@code i} signed, {@code u} unsigned, {@code
 *     f} float, {@code c} complex, {@code V} structure (void)
 * @param itemsize bytes per element
 * @param order {@code '<'} little-endian, {@code '>'} big-endian, {@code '|'} not applicable
 * @param fields the named fields of a structure in order, empty otherwise
 */
public record DType(char kind, int itemsize, char order, List<Field> fields) {
  /**
   * A named field of a structured type.
   *
   * @param name its name
   * @param type its type
   * @param offset its byte offset in the element
   */
  public record Field(String name, DType type, int offset) {}

  /** numpy's {@code bool}. */
  public static final DType BOOL = new DType('b', 1, '|', List.of());

  /** {@code int8}. */
  public static final DType INT8 = new DType('i', 1, '|', List.of());

  /** {@code uint8}. */
  public static final DType UINT8 = new DType('u', 1, '|', List.of());

  /** Little-endian {@code int16}. */
  public static final DType INT16 = scalar("<i2");

  /** Little-endian {@code int32}. */
  public static final DType INT32 = scalar("<i4");

  /** Little-endian {@code int64}. */
  public static final DType INT64 = scalar("<i8");

  /** Little-endian {@code uint16}. */
  public static final DType UINT16 = scalar("<u2");

  /** Little-endian {@code uint32}. */
  public static final DType UINT32 = scalar("<u4");

  /** Little-endian {@code uint64}. */
  public static final DType UINT64 = scalar("<u8");

  /** Little-endian {@code float16}. */
  public static final DType FLOAT16 = scalar("<f2");

  /** Little-endian {@code float32}. */
  public static final DType FLOAT32 = scalar("<f4");

  /** Little-endian {@code float64}. */
  public static final DType FLOAT64 = scalar("<f8");

  /** Little-endian {@code complex64}. */
  public static final DType COMPLEX64 = scalar("<c8");

  /** Little-endian {@code complex128}. */
  public static final DType COMPLEX128 = scalar("<c16");

  /** Checks the type. */
  public DType {
    fields = List.copyOf(fields);
    if (order != '<' && order != '>' && order != '|') {
      throw new IllegalArgumentException("byte order: '" + order + "' (expected: '<', '>' or '|')");
    }
    if (itemsize < 0) {
      throw new IllegalArgumentException("itemsize: " + itemsize + " (expected: >= 0)");
    }
    boolean ok =
        switch (kind) {
          case 'b' -> itemsize == 1;
          case 'i', 'u' -> itemsize == 1 || itemsize == 2 || itemsize == 4 || itemsize == 8;
          case 'f' -> itemsize == 2 || itemsize == 4 || itemsize == 8;
          case 'c' -> itemsize == 8 || itemsize == 16;
          case 'V' -> true;
          default -> false;
        };
    if (!ok) {
      throw new IllegalArgumentException(
          "dtype " + kind + itemsize + " (expected: b1, i1..i8, u1..u8, f2..f8, c8, c16 or V<n>)");
    }
    if (kind == 'V') {
      for (Field f : fields) {
        if (f.offset() < 0 || f.offset() + f.type().itemsize() > itemsize) {
          throw new IllegalArgumentException(
              "field "
                  + f.name()
                  + " at "
                  + f.offset()
                  + " (expected: within "
                  + itemsize
                  + " bytes)");
        }
      }
    }
  }

  /**
   * A scalar type from numpy's string, e.g. {@code "<f8"}, {@code ">i2"}, {@code "|u1"}, {@code
   * "bool"}.
   *
   * @throws IllegalArgumentException naming the string if it is not one
   */
  public static DType scalar(String s) {
    if (s.equals("bool") || s.equals("|b1") || s.equals("b1")) {
      return new DType('b', 1, '|', List.of());
    }
    char order = '<';
    String code = s;
    if (!s.isEmpty() && "<>|=".indexOf(s.charAt(0)) >= 0) {
      order = s.charAt(0) == '=' ? '<' : s.charAt(0);
      code = s.substring(1);
    }
    try {
      char kind = code.charAt(0);
      int size = Integer.parseInt(code.substring(1));
      if (size == 1 && kind != 'V') {
        order = '|';
      }
      return new DType(kind, size, order, List.of());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "dtype: '" + s + "' (expected: a numpy type string such as <f8, >i2, |u1 or bool)", e);
    }
  }

  /** A structure of {@code fields} packed in order, numpy's {@code [(name, type), ...]}. */
  public static DType struct(List<Map.Entry<String, DType>> fields) {
    List<Field> out = new ArrayList<>();
    int offset = 0;
    for (Map.Entry<String, DType> f : fields) {
      out.add(new Field(f.getKey(), f.getValue(), offset));
      offset += f.getValue().itemsize();
    }
    return new DType('V', offset, '|', out);
  }

  /** numpy's {@code dtype.str}, e.g. {@code "<f8"} or {@code "|V12"}. */
  public String str() {
    return order + "" + kind + itemsize;
  }

  /** The byte order of the elements' numbers (little-endian when not applicable). */
  public ByteOrder byteOrder() {
    return order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
  }

  /** The field named {@code name}. */
  public Field field(String name) {
    for (Field f : fields) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("no field '" + name + "' in " + this);
  }

  private static final Global NUMPY_DTYPE = new Global("numpy", "dtype");

  // one object per order string: the pickler memoizes by identity, as Python's does with its
  // interned one-character strings, so a repeated "<" in a structure is a memo reference
  private static final String LITTLE = "<";
  private static final String BIG = ">";
  private static final String NA = "|";

  private static String orderString(char order) {
    return switch (order) {
      case '<' -> LITTLE;
      case '>' -> BIG;
      default -> NA;
    };
  }

  /** The pickled form numpy writes: {@code dtype(code, False, True)} with its state. */
  public PyObject toPickle() {
    String code = kind + "" + itemsize;
    Object names = null;
    Object fieldDict = null;
    long elsize = -1;
    long alignment = -1;
    long flags = 0;
    if (kind == 'V') {
      Object[] ns = new Object[fields.size()];
      Map<Object, Object> fd = new LinkedHashMap<>();
      for (int i = 0; i < ns.length; i++) {
        Field f = fields.get(i);
        ns[i] = f.name();
        fd.put(f.name(), Tuple.of(f.type().toPickle(), (long) f.offset()));
      }
      names = fields.isEmpty() ? null : Tuple.of(ns);
      fieldDict = fields.isEmpty() ? null : fd;
      elsize = itemsize;
      alignment = 1;
      flags = fields.isEmpty() ? 0 : 16;
    }
    Tuple state =
        Tuple.of(3L, orderString(order), null, names, fieldDict, elsize, alignment, flags);
    return new PyObject(NUMPY_DTYPE, Tuple.of(code, false, true), PyObject.Kind.REDUCE, state);
  }

  /**
   * The type of numpy's pickled form.
   *
   * @throws IllegalArgumentException if {@code v} is not a numpy dtype pickle this class knows
   */
  public static DType fromPickle(Object v) {
    if (!(v instanceof PyObject o)
        || !(o.callable() instanceof Global g)
        || !g.name().equals("dtype")
        || !g.module().startsWith("numpy")
        || o.args().size() < 1
        || !(o.args().get(0) instanceof String code)) {
      throw new IllegalArgumentException("not a numpy dtype: " + v);
    }
    char order = '|';
    List<Field> fields = new ArrayList<>();
    if (o.hasState() && o.state() instanceof Tuple st && st.size() >= 8) {
      order = st.get(1) instanceof String s && s.length() == 1 ? s.charAt(0) : '|';
      if (order == '=') {
        order = '<';
      }
      if (st.get(3) instanceof Tuple names && st.get(4) instanceof Map<?, ?> fd) {
        for (Object n : names.items()) {
          if (!(fd.get(n) instanceof Tuple ft) || ft.size() < 2) {
            throw new IllegalArgumentException("dtype field " + n + ": " + fd.get(n));
          }
          fields.add(new Field((String) n, fromPickle(ft.get(0)), ((Number) ft.get(1)).intValue()));
        }
      }
    }
    char kind = code.charAt(0);
    int size = Integer.parseInt(code.substring(1));
    if (kind == 'b' || size == 1 && kind != 'V') {
      order = '|';
    }
    return new DType(kind, size, order, fields);
  }

  @Override
  public String toString() {
    if (kind != 'V' || fields.isEmpty()) {
      return str();
    }
    StringBuilder sb = new StringBuilder("[");
    for (Field f : fields) {
      sb.append(sb.length() > 1 ? ", " : "")
          .append("('")
          .append(f.name())
          .append("', '")
          .append(f.type())
          .append("')");
    }
    return sb.append(']').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DType d
        && d.kind == kind
        && d.itemsize == itemsize
        && d.order == order
        && d.fields.equals(fields);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, itemsize, order, fields);
  }
}
