package org.zbig.zodb.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Opcodes of older and foreign writers, the allow-list, and the documented failures. */
class PickleReaderTest {
  static Object load(String hex) {
    return PickleReader.loads(HexFormat.of().parseHex(hex.replace(" ", "")));
  }

  static Object loadText(String s) {
    return PickleReader.loads(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void zeo50HeartbeatProtocol1Pickle() {
    // (-1, 0, '.reply', None) as ZEO 5.0 sends it: no PROTO, SHORT_BINSTRING name
    Object v = load("28 4a ff ff ff ff 4b 00 55 06 2e7265706c79 4e 74 2e");
    assertThat(v).isEqualTo(Tuple.of(-1L, 0L, Bytes.utf8(".reply"), null));
    assertThat(PickleValues.text(((Tuple) v).get(2))).isEqualTo(".reply");
  }

  @Test
  void protocol0TextOpcodes() {
    assertThat(loadText("I01\n.")).isEqualTo(true);
    assertThat(loadText("I00\n.")).isEqualTo(false);
    assertThat(loadText("I-42\n.")).isEqualTo(-42L);
    assertThat(loadText("L123456789012345678901234567890L\n."))
        .isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(loadText("F1.5\n.")).isEqualTo(1.5);
    assertThat(loadText("S'a\\'b\\x00\\n\\101'\np0\n."))
        .isEqualTo(Bytes.wrap("a'b\0\nA".getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(loadText("Vh\\u00e9llo \\U0001f600\n.")).isEqualTo("héllo \uD83D\uDE00");
    assertThat(loadText("(lp0\nI1\naI2\nag0\n0.")).isEqualTo(List.of(1L, 2L));
    assertThat(loadText("(dp0\nS'k'\np1\nI1\ns.")).isEqualTo(Map.of(Bytes.utf8("k"), 1L));
    assertThat(loadText("(I1\nI2\nt.")).isEqualTo(Tuple.of(1L, 2L));
    assertThat(loadText("(I1\nI2\nl.")).isEqualTo(List.of(1L, 2L));
    assertThat(loadText("(S'k'\nI1\nd.")).isEqualTo(Map.of(Bytes.utf8("k"), 1L));
  }

  @Test
  void protocol0InstanceOpcodesBecomeDescriptions() {
    Object inst = loadText("(I1\nimymod\nKlass\n.");
    assertThat(inst)
        .isEqualTo(new PyObject(new Global("mymod", "Klass"), Tuple.of(1L), PyObject.Kind.REDUCE));
    Object obj = load("28 63 6d0a4b0a 4b 01 6f 2e"); // MARK GLOBAL m.K BININT1 1 OBJ
    assertThat(obj)
        .isEqualTo(new PyObject(new Global("m", "K"), Tuple.of(1L), PyObject.Kind.REDUCE));
  }

  @Test
  void python2GlobalsAreRenamedBelowProtocol3() {
    assertThat(loadText("c__builtin__\nset\n.")).isEqualTo(new Global("builtins", "set"));
    assertThat(load("80 03 63 5f5f6275696c74696e5f5f0a7365740a 2e"))
        .isEqualTo(new Global("__builtin__", "set"));
  }

  @Test
  void protocol4OpcodesAreRead() {
    // PROTO 4, FRAME, SHORT_BINUNICODE 'a', MEMOIZE, EMPTY_SET, MARK BININT1 1 ADDITEMS, TUPLE2
    Object v = load("80 04 95 0c00000000000000 8c 01 61 94 8f 94 28 4b 01 90 86 94 2e");
    assertThat(v).isEqualTo(Tuple.of("a", Set.of(1L)));
    Object g = load("80 04 8c 01 6d 8c 01 4b 93 2e");
    assertThat(g).isEqualTo(new Global("m", "K"));
  }

  @Test
  void reduceAndBuildGiveAnObjectDescription() {
    // numpy dtype('f8') as inside a ZBigArray record
    Object v =
        load(
            "80 03 63 6e756d70790a64747970650a 71 03 58 02000000 6638 71 04 89 88 87 71 05 52"
                + " 71 06 28 4b 03 58 01000000 3c 71 07 4e 4e 4e 4a ffffffff 4a ffffffff 4b 00 74"
                + " 71 08 62 2e");
    PyObject dtype = (PyObject) v;
    assertThat(dtype.callable()).isEqualTo(new Global("numpy", "dtype"));
    assertThat(dtype.args()).isEqualTo(Tuple.of("f8", false, true));
    assertThat(dtype.state()).isEqualTo(Tuple.of(3L, "<", null, null, null, -1L, -1L, 0L));
  }

  @Test
  void allowListRefusesOtherGlobals() {
    byte[] p = "cos\nsystem\n.".getBytes(StandardCharsets.US_ASCII);
    GlobalResolver zeoServer =
        GlobalResolver.allowModules(
            Set.of("ZopeUndo.Prefix", "zodbpickle", "builtins", "copy_reg", "__builtin__"));
    assertThatThrownBy(() ->
            new PickleReader(MemorySegment.ofArray(p), 0, zeoServer, PersistentId::new).load())
        .isInstanceOf(PickleException.class)
        .hasMessageContaining("global not allowed: os.system")
        .hasMessageContaining("offset 0");
    byte[] ok = "czodbpickle\nbinary\n.".getBytes(StandardCharsets.US_ASCII);
    assertThat(new PickleReader(MemorySegment.ofArray(ok), 0, zeoServer, PersistentId::new).load())
        .isEqualTo(new Global("zodbpickle", "binary"));
    assertThatThrownBy(() ->
            new PickleReader(MemorySegment.ofArray(ok), 0, GlobalResolver.none(), PersistentId::new)
                .load())
        .isInstanceOf(PickleException.class);
  }

  @Test
  void bytesAreSlicesOfTheInput() {
    byte[] p = HexFormat.of().parseHex("8003430401020304712e".replace("712e", "71002e"));
    Bytes b = (Bytes) PickleReader.loads(p);
    p[4] = 9; // the value views the input
    assertThat(b.get(0)).isEqualTo((byte) 9);
    assertThat(b.segment().isReadOnly()).isTrue();
  }

  @Test
  void tenByteInputDeclaringTwoGigabytesIsRejectedAtOnce() {
    // PROTO 3, BINBYTES len 2^31, then 3 bytes
    assertThatThrownBy(() -> load("80 03 42 00000080 00 00 00 2e"))
        .isInstanceOf(PickleException.class)
        .hasMessage(
            "pickle at offset 2: declared length 2147483648 exceeds the 4 bytes left in the input");
    assertThatThrownBy(() -> load("80 04 8e ffffffffffffff7f 2e"))
        .isInstanceOf(PickleException.class)
        .hasMessageContaining("declared length 9223372036854775807 exceeds");
    assertThatThrownBy(() -> load("80 03 8b ffffff7f 2e"))
        .hasMessageContaining("declared length 2147483647 exceeds");
    assertThatThrownBy(() -> load("80 03 58 ffffffff 2e"))
        .hasMessageContaining("declared length 4294967295 exceeds");
    assertThatThrownBy(() -> load("80 03 54 ffffffff 2e")) // BINSTRING negative
        .hasMessageContaining("declared length 18446744073709551615 exceeds");
  }

  @Test
  void hugeMemoIndexAllocatesNothing() {
    // NONE, LONG_BINPUT 0xfffffffe, POP, LONG_BINGET 0xfffffffe, STOP
    assertThat(load("80 03 4e 72 feffffff 30 6a feffffff 2e")).isNull();
  }

  @Test
  void documentedFailures() {
    assertThatThrownBy(() -> load("80 03 4b"))
        .hasMessage("pickle at offset 3: pickle ends before STOP")
        .isInstanceOf(PickleException.class);
    assertThatThrownBy(() -> load("80 03 2e")).hasMessageContaining("STOP with an empty stack");
    assertThatThrownBy(() -> load("80 06 4e 2e"))
        .hasMessageContaining("unsupported pickle protocol: 6");
    assertThatThrownBy(() -> load("80 03 ff 2e"))
        .hasMessage("pickle at offset 2: unknown opcode 0xff");
    assertThatThrownBy(() -> load("80 03 68 05 2e")).hasMessageContaining("memo key 5 not found");
    assertThatThrownBy(() -> load("80 03 74 2e")).hasMessageContaining("no MARK");
    assertThatThrownBy(() -> load("80 03 7d 5d 4b 01 73 2e"))
        .hasMessageContaining("unhashable type: 'list'");
    assertThatThrownBy(() -> load("80 03 58 02000000 c328 2e"))
        .hasMessageContaining("invalid UTF-8");
    assertThatThrownBy(() -> load("80 03 4e 4e 52 2e"))
        .hasMessageContaining("REDUCE arguments: NoneType (expected: tuple)");
    assertThatThrownBy(() -> load("80 03 82 01 2e")).hasMessageContaining("extension registry");
    assertThatThrownBy(() -> loadText("Ixyz\n."))
        .hasMessageContaining("invalid int literal: 'xyz'");
    assertThatThrownBy(() -> loadText("I" + "9".repeat(5000) + "\n."))
        .hasMessageContaining("5000 digits");
    assertThatThrownBy(() -> loadText("S'abc\n.")).hasMessageContaining("must be quoted");
  }

  @Test
  void deepNestingFailsCleanly() {
    int depth = 200_000;
    byte[] p = new byte[2 + 1 + depth + 1];
    p[0] = (byte) 0x80;
    p[1] = 3;
    p[2] = ')';
    for (int i = 0; i < depth; i++) {
      p[3 + i] = (byte) 0x85; // TUPLE1 around the previous value
    }
    p[p.length - 1] = '.';
    Object v = PickleReader.loads(p);
    assertThat(v).isInstanceOf(Tuple.class);
    assertThat(v.hashCode()).isEqualTo(v.hashCode()); // cached, no recursion
  }
}
