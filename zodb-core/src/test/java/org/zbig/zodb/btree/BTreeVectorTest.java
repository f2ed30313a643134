package org.zbig.zodb.btree;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zbig.zodb.Tagged;
import org.zbig.zodb.Vectors;
import org.zbig.zodb.Vectors.Vector;
import org.zbig.zodb.record.DataRecord;
import org.zbig.zodb.record.Reference;

/**
 * Every B-tree record vector (docs/formats.md §7) decodes to the shape its {@code semantic}
 * describes, and its state re-encodes to the same record bytes.
 */
class BTreeVectorTest {
  static Stream<Vector> btrees() {
    return Vectors.all().filter(BTreeVectorTest::isBTree);
  }

  static Stream<Vector> btreeRecords() {
    return Vectors.records("records").filter(BTreeVectorTest::isBTree);
  }

  private static boolean isBTree(Vector v) {
    return v.json().get("class").get("module").asText().startsWith("BTrees.");
  }

  @Test
  void allBTreeVectorsAreFound() {
    assertThat(btreeRecords().map(Vector::name))
        .contains(
            "lobtree_empty",
            "lobtree_onebucket",
            "lobtree_multibucket",
            "lobucket_first",
            "lobucket_last",
            "lobtree_single_persistent_bucket",
            "lobtree_2level",
            "lobtree_2level_child0",
            "lobucket_2level_first",
            "oobtree_onebucket",
            "iobtree_empty",
            "iobtree_onebucket",
            "iobtree_multibucket",
            "iobucket_first",
            "iobucket_last")
        .hasSize(17);
    assertThat(btrees()).hasSize(17 + 16);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("btrees")
  void decodesToTheDescribedShape(Vector v) {
    DataRecord r = DataRecord.decode(v.bytes());
    BTreeClass type = BTreeClass.of(r.classMeta().type()).orElseThrow();
    JsonNode sem = v.json().get("semantic");
    assertThat(type.kind().isTree()).isEqualTo(sem.get("kind").asText().equals("btree"));
    assertThat(type.kind().isSet()).isFalse();
    if (type.kind().isTree()) {
      checkTree(v, TreeState.decode(r.state(), type.family(), false), sem);
    } else {
      BucketState b = BucketState.decode(r.state(), type.family(), false);
      checkItems(v, b, sem);
      Tagged.assertMatches(sem.get("next"), b.next(), v + " next");
    }
  }

  private static void checkTree(Vector v, TreeState s, JsonNode sem) {
    switch (sem.get("form").asText()) {
      case "empty" -> assertThat(s).isEqualTo(TreeState.EMPTY);
      case "inline-bucket" -> {
        assertThat(s).isInstanceOf(TreeState.Inline.class);
        BucketState b = ((TreeState.Inline) s).bucket();
        checkItems(v, b, sem);
        assertThat(b.next()).isNull();
      }
      case "children" -> {
        assertThat(s).isInstanceOf(TreeState.Children.class);
        TreeState.Children c = (TreeState.Children) s;
        assertThat(c.children()).hasSize(sem.get("nchildren").asInt());
        Tagged.assertMatches(sem.get("children"), c.children(), v + " children");
        Tagged.assertMatches(sem.get("separator_keys"), c.separators(), v + " separators");
        Tagged.assertMatches(sem.get("firstbucket"), c.firstBucket(), v + " firstbucket");
        JsonNode bucketKeys = v.json().get("bucket_keys");
        if (bucketKeys != null) {
          // ascending inserts: each separator is the first key of the bucket to its right
          assertThat(bucketKeys).hasSize(c.children().size());
          for (int i = 1; i < c.children().size(); i++) {
            assertThat(c.separators().get(i - 1)).isEqualTo(bucketKeys.get(i).get(0).asLong());
          }
        }
      }
      default -> throw new AssertionError("unknown form in " + v);
    }
  }

  private static void checkItems(Vector v, BucketState b, JsonNode sem) {
    assertThat(b.size()).isEqualTo(sem.get("len").asInt());
    List<List<Object>> items = new ArrayList<>();
    for (int i = 0; i < b.size(); i++) {
      items.add(Arrays.asList(b.keys().get(i), b.values().get(i)));
    }
    Tagged.assertMatches(sem.get("items"), items, v + " items");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("btrees")
  void encodeGivesTheDecodedStateBack(Vector v) {
    DataRecord r = DataRecord.decode(v.bytes());
    BTreeClass type = BTreeClass.of(r.classMeta().type()).orElseThrow();
    Object again =
        type.kind().isTree()
            ? TreeState.decode(r.state(), false).encode()
            : BucketState.decode(r.state(), false).encode();
    assertThat(again).isEqualTo(r.state());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("btreeRecords")
  void reencodedRecordIsByteIdentical(Vector v) {
    DataRecord r = DataRecord.decode(v.bytes());
    BTreeClass type = BTreeClass.of(r.classMeta().type()).orElseThrow();
    Object state =
        type.kind().isTree()
            ? TreeState.decode(r.state(), type.family(), false).encode()
            : BucketState.decode(r.state(), type.family(), false).encode();
    byte[] again = new DataRecord(r.classMeta(), state).encode();
    assertThat(HexFormat.of().formatHex(again))
        .as("re-encoded %s", v)
        .isEqualTo(HexFormat.of().formatHex(v.bytes()));
  }

  /** The records of one database agree: trees name their buckets, buckets chain in key order. */
  @Test
  void treesAndBucketsOfOneDatabaseAgree() {
    Map<String, DataRecord> byName =
        btreeRecords().collect(Collectors.toMap(Vector::name, v -> DataRecord.decode(v.bytes())));
    Function<String, TreeState.Children> tree =
        n -> (TreeState.Children) TreeState.decode(byName.get(n).state(), false);
    Function<String, BucketState> bucket = n -> BucketState.decode(byName.get(n).state(), false);

    TreeState.Children lo = tree.apply("lobtree_multibucket");
    JsonNode loKeys = Vectors.json("records/lobtree_multibucket.json").get("bucket_keys");
    assertChild(lo, 0, "lobucket_first", bucket, loKeys.get(0));
    assertChild(lo, 2, "lobucket_last", bucket, loKeys.get(2));
    assertThat(lo.firstBucket()).isEqualTo(lo.children().get(0));

    TreeState.Children io = tree.apply("iobtree_multibucket");
    JsonNode ioKeys = Vectors.json("records/iobtree_multibucket.json").get("bucket_keys");
    assertChild(io, 0, "iobucket_first", bucket, ioKeys.get(0));
    assertChild(io, 3, "iobucket_last", bucket, ioKeys.get(3));

    TreeState.Children root = tree.apply("lobtree_2level");
    TreeState.Children child0 = tree.apply("lobtree_2level_child0");
    JsonNode sizes = Vectors.json("records/lobtree_2level.json").get("root_children_sizes");
    assertThat(oid(root.children().get(0))).isEqualTo(vectorOid("lobtree_2level_child0"));
    assertThat(child0.children()).hasSize(sizes.get(0).asInt());
    assertThat(root.firstBucket()).isEqualTo(child0.firstBucket());
    assertThat(KeyOrder.compare(child0.separators().getLast(), root.separators().getFirst()))
        .isNegative();
    BucketState first = bucket.apply("lobucket_2level_first");
    assertThat(oid(child0.children().get(0))).isEqualTo(vectorOid("lobucket_2level_first"));
    assertThat(first.next()).isEqualTo(child0.children().get(1));
    assertThat(first.keys().getLast()).isEqualTo((long) child0.separators().getFirst() - 1);
  }

  private static void assertChild(
      TreeState.Children t,
      int i,
      String name,
      Function<String, BucketState> bucket,
      JsonNode keys) {
    BucketState b = bucket.apply(name);
    assertThat(oid(t.children().get(i))).isEqualTo(vectorOid(name));
    List<Long> expected = new ArrayList<>();
    keys.forEach(k -> expected.add(k.asLong()));
    assertThat(b.keys()).containsExactlyElementsOf(expected);
    if (i + 1 < t.children().size()) {
      assertThat(b.next()).isEqualTo(t.children().get(i + 1));
    } else {
      assertThat(b.next()).isNull();
    }
  }

  private static long oid(Object ref) {
    return ((Reference) ref).oid().value();
  }

  private static long vectorOid(String name) {
    return Vectors.json("records/" + name + ".json").get("oid").asLong();
  }
}
