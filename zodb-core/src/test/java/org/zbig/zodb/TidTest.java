package org.zbig.zodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Tids as persistent TimeStamps, checked against the tids of the vectors. */
class TidTest {
  /** Python's {@code str(TimeStamp)}: seconds printed {@code %09.6f}. */
  static String pythonString(Tid t) {
    return String.format(
        Locale.ROOT,
        "%04d-%02d-%02d %02d:%02d:%09.6f",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.seconds());
  }

  @Test
  void dataFsManifestTidsDecodeToTheirTimes() {
    JsonNode manifest = Vectors.json("fs-manifest.json");
    int n = 0;
    for (JsonNode txn : manifest.get("transactions")) {
      Tid tid = Tid.ofHex(txn.get("tid_hex").asText());
      assertThat(tid.value()).isEqualTo(txn.get("tid").asLong());
      assertThat(pythonString(tid)).isEqualTo(txn.get("tid_time").asText());
      n++;
    }
    assertThat(n).isEqualTo(7);
  }

  @Test
  void specExampleTid() {
    Tid t = Tid.ofHex("0405e70180000000");
    assertThat(t).isEqualTo(Tid.of(2026, 1, 1, 0, 1, 30.0));
    assertThat(t.toInstant()).isEqualTo(Instant.parse("2026-01-01T00:01:30Z"));
    Tid u = Tid.ofHex("040d2bc74ce02b77");
    assertThat(pythonString(u)).isEqualTo("2026-11-21 19:19:18.017734");
    assertThat(u.toEpochSeconds()).isCloseTo(1795288758.0177336, within(1e-6));
  }

  @Test
  void historyTimesOfRecordedExchangesMatchTheirTids() throws IOException {
    List<Double> checked = new ArrayList<>();
    for (String file : List.of("zeo/11-history.jsonl", "zeo/12-undo.jsonl")) {
      for (String line : Files.readAllLines(Vectors.resource(file))) {
        collectTimes(Tagged.JSON.readTree(line).get("decoded"), checked);
      }
    }
    assertThat(checked).hasSizeGreaterThanOrEqualTo(4);
  }

  /** Finds dicts with {@code tid} (or {@code id}) and {@code time} and checks them. */
  private static void collectTimes(JsonNode n, List<Double> checked) {
    if (n == null) {
      return;
    }
    if (n.isObject() && n.has("time") && n.has("tid") && n.get("tid").has("$bytes")) {
      Tid tid = Tid.ofHex(n.get("tid").get("$bytes").asText());
      double time = n.get("time").asDouble();
      assertThat(tid.toEpochSeconds()).as("time of %s", tid).isCloseTo(time, within(1e-6));
      checked.add(time);
    }
    n.forEach(c -> collectTimes(c, checked));
  }

  @Test
  void bytesAndHexRoundTrip() {
    Tid t = Tid.ofHex("0405e701a6666666");
    assertThat(Tid.of(t.toBytes())).isEqualTo(t);
    assertThat(t.toHex()).isEqualTo("0405e701a6666666");
    assertThat(Tid.Z64.toBytes()).containsOnly(0);
    assertThat(Tid.MAX.toHex()).isEqualTo("7fffffffffffffff");
    assertThat(Oid.ofHex("0000000000000096")).isEqualTo(new Oid(0x96));
    assertThat(Oid.of(new Oid(-1).toBytes())).isEqualTo(new Oid(-1));
    assertThat(new Oid(-1)).isGreaterThan(new Oid(1)); // unsigned
  }

  @Test
  void badInputNamesValueAndExpectation() {
    assertThatThrownBy(() -> Tid.of(new byte[7])).hasMessage("tid: 7 bytes (expected: 8)");
    assertThatThrownBy(() -> Oid.ofHex("xyz")).hasMessage("oid: 'xyz' (expected: 16 hex digits)");
    assertThatThrownBy(() -> Tid.of(2026, 13, 1, 0, 0, 0))
        .hasMessage("month: 13 (expected: 1..12)");
    assertThatThrownBy(() -> Tid.of(9918, 1, 1, 0, 0, 0)).hasMessageContaining("year < 9918");
    assertThatThrownBy(() -> Tid.of(2026, 1, 1, 0, 0, 60.0))
        .hasMessage("seconds: 60.0 (expected: 0 <= s < 60)");
  }

  @Test
  void laterThanIncrementsTheLowWord() {
    Tid last = Tid.ofHex("0405e701a6666666");
    Tid earlier = Tid.ofHex("0405e70180000000");
    assertThat(earlier.laterThan(last)).isEqualTo(Tid.ofHex("0405e701a6666667"));
    assertThat(last.laterThan(earlier)).isEqualTo(last);
    assertThat(last.laterThan(last)).isEqualTo(Tid.ofHex("0405e701a6666667"));
  }

  @Test
  void laterThanMovesToTheNextCalendarMinuteWhenTheLowWordOverflows() {
    // 2026-01-31 23:59, low word full: the next tid is 2026-02-01 00:00:00
    Tid full = new Tid(Tid.of(2026, 1, 31, 23, 59, 0).value() | 0xFFFF_FFFFL);
    Tid next = Tid.Z64.laterThan(full);
    assertThat(next).isGreaterThan(full);
    assertThat(pythonString(next)).isEqualTo("2026-02-01 00:00:00.000000");
  }

  @Test
  void nowWithAStoppedClockStillYieldsIncreasingTids() {
    Clock stopped = Clock.fixed(Instant.parse("2026-11-21T19:19:18Z"), ZoneOffset.UTC);
    Tid last = Tid.Z64;
    for (int i = 0; i < 1000; i++) {
      Tid t = Tid.now(stopped).laterThan(last);
      assertThat(t).isGreaterThan(last);
      last = t;
    }
    assertThat(last.toInstant())
        .isBetween(Instant.parse("2026-11-21T19:19:18Z"), Instant.parse("2026-11-21T19:19:19Z"));
  }

  @Property(tries = 300)
  void tidsOfInstantsKeepOrderAndTime(
      @ForAll @LongRange(min = 0, max = 4_102_444_800_000L) long millisA,
      @ForAll @LongRange(min = 0, max = 4_102_444_800_000L) long millisB) {
    Instant a = Instant.ofEpochMilli(millisA);
    Instant b = Instant.ofEpochMilli(millisB);
    Tid ta = Tid.of(a);
    Tid tb = Tid.of(b);
    assertThat(Integer.signum(ta.compareTo(tb))).isEqualTo(Integer.signum(a.compareTo(b)));
    assertThat(ta.toEpochSeconds()).isCloseTo(millisA / 1000.0, within(1e-6));
    assertThat(Math.abs(ta.toInstant().toEpochMilli() - millisA)).isLessThanOrEqualTo(1);
  }
}
