package org.zbig.zblk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.record.ClassMeta;
import org.zbig.zodb.record.DataRecord;

/**
 * The block formats against the records Python wendelin.core wrote (docs/formats.md §4.2 to 4.4).
 */
class ZBlkFormatsTest {
  static final int BLKSIZE = 2 << 20;

  static byte[] resource(String path) throws Exception {
    return ZBlkFormatsTest.class.getResourceAsStream(path).readAllBytes();
  }

  static JsonNode json(String path) throws Exception {
    return new ObjectMapper().readTree(resource(path));
  }

  static boolean allZero(MemorySegment s) {
    for (long i = 0; i < s.byteSize(); i++) {
      if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
        return false;
      }
    }
    return true;
  }

  static String sha256(Bytes b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toByteArray()));
  }

  static Stream<String> records() {
    return Stream.of(
        "zblk0_data",
        "zblk0_trailing_zeros",
        "zblk0_leading_zeros",
        "zblk0_empty",
        "zblk0_tiny",
        "zblk0_255",
        "zblk0_256",
        "zblk0_large",
        "zdata_full",
        "zdata_short",
        "zdata_trimmed");
  }

  @ParameterizedTest
  @MethodSource("records")
  void aBlockWrittenAsPythonWritesItIsTheSameRecord(String name) throws Exception {
    byte[] record = resource("/records/" + name + ".bin");
    DataRecord r = DataRecord.decode(record);
    Bytes state = (Bytes) r.state();
    boolean zdata = name.startsWith("zdata");
    int size = zdata ? ZBlk1Codec.CHUNK : BLKSIZE;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment block = arena.allocate(size); // zeros after the data
      MemorySegment.copy(state.segment(), 0, block, 0, state.length());
      Bytes encoded;
      if (zdata) {
        SortedMap<Integer, Bytes> chunks = ZBlk1Codec.encode(block);
        assertThat(chunks.keySet()).containsExactly(0);
        encoded = chunks.get(0);
      } else {
        encoded = ZBlk0Codec.encode(block);
      }
      assertThat(encoded).isEqualTo(state);
      assertThat(new DataRecord(r.classMeta(), encoded).encode()).isEqualTo(record);
      if (!zdata && state.length() >= 256) { // BINBYTES (SHORT_BINBYTES below 256 bytes)
        byte[] prefix = ZBlk0Codec.recordPrefix();
        assertThat(Arrays.copyOf(record, prefix.length)).isEqualTo(prefix);
      }
      if (!zdata) { // the whole record at once: Python's bytes, or -1 where SHORT_BINBYTES is due
        MemorySegment into = arena.allocate(ZBlk0Codec.maxRecordSize(size));
        long n = ZBlk0Codec.writeRecord(block, into);
        if (state.length() >= 256) {
          assertThat(into.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(record);
          assertThat(n - ZBlk0Codec.recordDataOffset() - ZBlk0Codec.recordSuffixLength())
              .isEqualTo(state.length());
        } else {
          assertThat(n).isEqualTo(-1);
        }
      }
      MemorySegment page = arena.allocate(size);
      ZBlk0Codec.decode(encoded, page);
      assertThat(page.mismatch(block)).isEqualTo(-1);
    }
  }

  @Test
  void aWholeRecordWrittenAtOnceIsWhatTheGeneralWriterEncodesForEveryDataLength() {
    long seed = System.nanoTime();
    Random rnd = new Random(seed);
    int size = 64 << 10;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment into = arena.allocate(ZBlk0Codec.maxRecordSize(size));
      for (int len : new int[] {255, 256, 257, 4096, size - 1, size, 1 + rnd.nextInt(size)}) {
        MemorySegment block = arena.allocate(size);
        for (int i = 0; i < len; i++) {
          block.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        block.set(ValueLayout.JAVA_BYTE, len - 1, (byte) 7); // the data ends here
        long n = ZBlk0Codec.writeRecord(block, into);
        byte[] general =
            new DataRecord(
                    ClassMeta.of("wendelin.bigfile.file_zodb.ZBlk0"), ZBlk0Codec.encode(block))
                .encode();
        if (len < 256) {
          assertThat(n).as("seed %d, length %d", seed, len).isEqualTo(-1);
        } else {
          assertThat(into.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE))
              .as("seed %d, length %d", seed, len)
              .isEqualTo(general);
        }
      }
      assertThatThrownBy(() -> ZBlk0Codec.writeRecord(arena.allocate(size), arena.allocate(size)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("record buffer: " + size + " bytes for a block of " + size);
    }
  }

  static Stream<String> zdataRecords() {
    return Stream.of(
        "/records/zdata_full",
        "/records/zdata_short",
        "/records/zdata_trimmed",
        "/legacy/py2_pickle1_zdata",
        "/legacy/py2_pickle2_zdata",
        "/legacy/py2_pickle3_zdata",
        "/legacy/py3_pickle3_zdata");
  }

  @ParameterizedTest
  @MethodSource("zdataRecords")
  void aZDataRecordsDataReadsWithoutThePickleReaderWhenItHasPython3sFormAndOnlyThen(String name)
      throws Exception {
    byte[] record = resource(name + ".bin");
    Bytes state = (Bytes) DataRecord.decode(record).state();
    Bytes fast = ZBlk1Codec.zdataBytes(Bytes.wrap(record));
    if (name.contains("py2_")) {
      assertThat(fast).as("Python 2's records go to the pickle reader").isNull();
      return;
    }
    assertThat(fast).isEqualTo(state);
    // a record changed anywhere in its frame is left to the pickle reader, which judges it
    int n = record.length;
    int stateAt = 41;
    for (byte[] changed :
        new byte[][] {
          Arrays.copyOf(record, n - 1), // no STOP
          Arrays.copyOf(record, n + 1), // a byte after the STOP
          Arrays.copyOf(record, stateAt + 3), // cut inside the length or the data
          with(record, 30, (byte) 'X'), // another class
          with(record, stateAt, (byte) 'D'), // not BINBYTES or SHORT_BINBYTES
          with(record, n - 2, (byte) 2), // BINPUT 2
          with(record, stateAt + 1, (byte) (record[stateAt + 1] + 1)), // length one more
        }) {
      assertThat(ZBlk1Codec.zdataBytes(Bytes.wrap(changed))).isNull();
    }
  }

  static byte[] with(byte[] record, int at, byte value) {
    byte[] out = record.clone();
    out[at] = value;
    return out;
  }

  static Stream<String> legacy() {
    return Stream.of("py2_pickle1", "py2_pickle2", "py2_pickle3", "py3_pickle3")
        .flatMap(p -> Stream.of(p + "_zblk0", p + "_zdata"));
  }

  @ParameterizedTest
  @MethodSource("legacy")
  void recordsRealWendelinCoreWroteLoadWithTheirContents(String name) throws Exception {
    DataRecord r = DataRecord.decode(resource("/legacy/" + name + ".bin"));
    JsonNode semantic = json("/legacy/" + name + ".json").get("semantic");
    Bytes state = (Bytes) r.state(); // Python 2 str data reads as bytes
    assertThat(state.length()).isEqualTo(semantic.get("data_len").asInt());
    assertThat(sha256(state)).isEqualTo(semantic.get("data_sha256").asText());
    // into a block, where the record puts it: a ZBlk0 at offset 0; a ZData at its key in the
    // chunk table (its bucket, iobucket_last, is in the vectors); everything else zeros
    int at = 0;
    if (name.endsWith("_zdata")) {
      JsonNode bucket =
          json("/legacy/" + name.replace("_zdata", "_iobucket_last") + ".json").get("semantic");
      int oid = json("/legacy/" + name + ".json").get("oid").asInt();
      at = -1;
      for (JsonNode item : bucket.get("items")) {
        if (item.get(1).get("$ref").get("oid").asInt() == oid) {
          at = item.get(0).asInt();
        }
      }
      assertThat(at).as("the chunk's key").isNotNegative();
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment page = arena.allocate(BLKSIZE);
      if (name.endsWith("_zdata")) {
        SortedMap<Integer, Bytes> chunks = new TreeMap<>();
        chunks.put(at, state);
        ZBlk1Codec.decode(chunks, page);
      } else {
        ZBlk0Codec.decode(state, page);
      }
      Bytes placed = Bytes.view(page.asSlice(at, state.length()));
      assertThat(sha256(placed)).isEqualTo(semantic.get("data_sha256").asText());
      assertThat(allZero(page.asSlice(0, at))).as("zeros before").isTrue();
      assertThat(allZero(page.asSlice(at + state.length()))).as("zeros after").isTrue();
      assertThat(Blocks.trimmedLength(page)).isEqualTo(at + state.length());
    }
  }

  @Test
  void zblk1CutsBlocksIntoTrimmedChunksAndReadsAnyChunking() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment block = arena.allocate(BLKSIZE);
      block.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
      block.set(ValueLayout.JAVA_BYTE, 4095, (byte) 2); // chunk 0 is full
      block.set(ValueLayout.JAVA_BYTE, 40960 + 31, (byte) 3); // chunk at 40960: 32 bytes
      block.set(ValueLayout.JAVA_BYTE, BLKSIZE - 1, (byte) 4); // last chunk, full
      SortedMap<Integer, Bytes> chunks = ZBlk1Codec.encode(block);
      assertThat(chunks.keySet()).containsExactly(0, 40960, BLKSIZE - 4096);
      assertThat(chunks.get(40960).length()).isEqualTo(32);
      assertThat(ZBlk1Codec.needsRechunk(chunks)).isFalse();
      MemorySegment page = arena.allocate(BLKSIZE);
      ZBlk1Codec.decode(chunks, page);
      assertThat(page.mismatch(block)).isEqualTo(-1);
      // another writer's chunking: 8 KiB chunks at odd offsets read the same
      SortedMap<Integer, Bytes> odd = new TreeMap<>();
      odd.put(100, Bytes.wrap(new byte[] {7, 8}));
      odd.put(102, Bytes.wrap(new byte[8192]));
      assertThat(ZBlk1Codec.needsRechunk(odd)).isTrue();
      MemorySegment p2 = arena.allocate(BLKSIZE);
      ZBlk1Codec.decode(odd, p2);
      assertThat(p2.get(ValueLayout.JAVA_BYTE, 101)).isEqualTo((byte) 8);
      SortedMap<Integer, Bytes> overlap =
          new TreeMap<>(Map.of(0, Bytes.wrap(new byte[10]), 5, Bytes.utf8("x")));
      assertThatThrownBy(() -> ZBlk1Codec.decode(overlap, arena.allocate(BLKSIZE)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("overlaps");
      assertThatThrownBy(() -> ZBlk0Codec.decode(Bytes.wrap(new byte[5000]), arena.allocate(4096)))
          .hasMessageContaining("5000 bytes (expected: <= the block size 4096)");
    }
  }

  /**
   * The chunks given in arrays read as the same chunks in a map, into zeros and over other bytes;
   * offsets out of order or overlapping are refused with the offsets named.
   */
  @Test
  void chunksInArraysReadAsTheSameChunksInAMap() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment block = arena.allocate(BLKSIZE);
      for (long at = 0; at < BLKSIZE; at += 4096 * 3 + 17) {
        block.set(ValueLayout.JAVA_BYTE, at, (byte) (at % 251 + 1));
      }
      SortedMap<Integer, Bytes> chunks = ZBlk1Codec.encode(block);
      int[] offsets = chunks.keySet().stream().mapToInt(Integer::intValue).toArray();
      Bytes[] data = chunks.values().toArray(Bytes[]::new);
      MemorySegment viaMap = arena.allocate(BLKSIZE);
      ZBlk1Codec.decode(chunks, viaMap);
      MemorySegment intoZeros = arena.allocate(BLKSIZE);
      ZBlk1Codec.decode(offsets, data, data.length, intoZeros, false);
      assertThat(intoZeros.mismatch(viaMap)).isEqualTo(-1);
      assertThat(intoZeros.mismatch(block)).isEqualTo(-1);
      MemorySegment over = arena.allocate(BLKSIZE).fill((byte) 0x5a);
      ZBlk1Codec.decode(offsets, data, data.length, over, true);
      assertThat(over.mismatch(block)).as("left-over bytes zeroed").isEqualTo(-1);
      // only the first count chunks are read
      MemorySegment firstTwo = arena.allocate(BLKSIZE).fill((byte) 0x5a);
      ZBlk1Codec.decode(offsets, data, 2, firstTwo, true);
      assertThat(
              firstTwo
                  .asSlice(0, offsets[1] + data[1].length())
                  .mismatch(block.asSlice(0, offsets[1] + data[1].length())))
          .isEqualTo(-1);
      assertThat(
              firstTwo
                  .asSlice(offsets[1] + data[1].length())
                  .mismatch(arena.allocate(BLKSIZE - offsets[1] - data[1].length())))
          .isEqualTo(-1);
      Bytes one = Bytes.wrap(new byte[] {1});
      assertThatThrownBy(() ->
              ZBlk1Codec.decode(
                  new int[] {8192, 4096}, new Bytes[] {one, one}, 2, intoZeros, false))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("chunk at 4096 after one at 8192 (expected: increasing offsets)");
      assertThatThrownBy(() ->
              ZBlk1Codec.decode(
                  new int[] {0, 5},
                  new Bytes[] {Bytes.wrap(new byte[10]), one},
                  2,
                  intoZeros,
                  false))
          .hasMessageContaining("chunk at 5 overlaps the previous one, which ends at 10");
    }
  }

  @Test
  void theFormatComesFromTheEnvironmentAndUnknownValuesAreRefused() {
    assertThat(ZBlkFormat.fromEnvironment(Map.of())).isEqualTo(ZBlkFormat.ZBLK0);
    assertThat(ZBlkFormat.fromEnvironment(Map.of("WENDELIN_CORE_ZBLK_FMT", "ZBlk1")))
        .isEqualTo(ZBlkFormat.ZBLK1);
    assertThat(ZBlkFormat.fromEnvironment(Map.of("WENDELIN_CORE_ZBLK_FMT", "auto")))
        .isEqualTo(ZBlkFormat.AUTO);
    assertThatThrownBy(() -> ZBlkFormat.fromEnvironment(Map.of("WENDELIN_CORE_ZBLK_FMT", "zblk2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("WENDELIN_CORE_ZBLK_FMT: 'zblk2' (expected: ZBlk0, ZBlk1 or auto)");
  }

  @Test
  void theAutoPolicyDecidesAsWendelinDoes() {
    int bs = 4096 * 4;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment small = arena.allocate(bs);
      small.fill((byte) 0);
      small.asSlice(0, 100).fill((byte) 1);
      MemorySegment full = arena.allocate(bs);
      full.fill((byte) 1);
      MemorySegment half = arena.allocate(bs);
      half.asSlice(0, bs / 2 + 10).fill((byte) 1);
      Bytes none = Bytes.EMPTY;
      Bytes first50 = Bytes.wrap(new byte[50]).slice(0, 0);
      // a new block appended after the last: small and not full -> ZBlk1
      assertThat(AutoPolicy.decide(5, small, none, 4, false))
          .isEqualTo(new AutoPolicy.Decision(ZBlkFormat.ZBLK1, false));
      // ... and the previous block, changed in this transaction and ZBlk1, migrates to ZBlk0
      assertThat(AutoPolicy.decide(5, small, none, 4, true))
          .isEqualTo(new AutoPolicy.Decision(ZBlkFormat.ZBLK1, true));
      // appending to the last block until it fills up: ZBlk0
      byte[] ones = new byte[100];
      java.util.Arrays.fill(ones, (byte) 1);
      assertThat(AutoPolicy.decide(4, full, Bytes.wrap(ones), 4, false).format())
          .isEqualTo(ZBlkFormat.ZBLK0);
      assertThat(
              AutoPolicy.decide(4, small, Bytes.wrap(Arrays.copyOf(ones, 50)), 4, false).format())
          .isEqualTo(ZBlkFormat.ZBLK1);
      // an in-place change: small -> ZBlk1, big -> ZBlk0
      assertThat(AutoPolicy.decide(1, small, Bytes.wrap(Arrays.copyOf(ones, 90)), 9, false))
          .isEqualTo(new AutoPolicy.Decision(ZBlkFormat.ZBLK1, false));
      assertThat(AutoPolicy.decide(1, half, none, 9, false))
          .isEqualTo(new AutoPolicy.Decision(ZBlkFormat.ZBLK0, false));
      assertThat(first50.length()).isZero();
    }
  }

  @Test
  void chunksOverAPageOfOtherBytesLeaveZerosInTheirHolesAndNowhereElse() {
    try (Arena arena = Arena.ofConfined()) {
      final int chunk = 4096;
      SortedMap<Integer, Bytes> chunks = new TreeMap<>();
      byte[] a = new byte[100]; // a chunk shorter than 4 KiB: its tail is a hole too
      java.util.Arrays.fill(a, (byte) 7);
      byte[] b = new byte[chunk];
      java.util.Arrays.fill(b, (byte) 9);
      chunks.put(0, Bytes.wrap(a));
      chunks.put(3 * chunk, Bytes.wrap(b));
      MemorySegment page = arena.allocate(BLKSIZE);
      page.fill((byte) 0x55); // what the slot held before
      ZBlk1Codec.decodeOver(chunks, page);
      MemorySegment want = arena.allocate(BLKSIZE); // zeros
      want.asSlice(0, 100).fill((byte) 7);
      want.asSlice(3L * chunk, chunk).fill((byte) 9);
      assertThat(MemorySegment.mismatch(page, 0, BLKSIZE, want, 0, BLKSIZE))
          .as("first differing byte")
          .isEqualTo(-1);
    }
  }
}
