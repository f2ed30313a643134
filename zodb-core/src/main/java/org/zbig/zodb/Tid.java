package org.zbig.zodb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HexFormat;

/**
 * A ZODB transaction id: the persistent {@code TimeStamp} of the commit, 8 bytes big-endian.
 *
 * <p>Layout (docs/formats.md §6.5, docs/protocol.md §5.1), two big-endian unsigned 32-bit words:
 *
 * <pre>
 * +--------------------------------------+--------------------------------------+
 * | a = ((((year-1900)*12 + month-1)*31  | b = floor(seconds * 2^32 / 60)       |
 * |      + day-1)*24 + hour)*60 + minute |     (fraction of the minute)         |
 * +--------------------------------------+--------------------------------------+
 * </pre>
 *
 * Every month counts 31 days in {@code a}, so {@code a} is not a linear minute count. Times are
 * UTC. Tids compare as unsigned 64-bit numbers; {@link #Z64} is never a commit tid.
 *
 * @param value the id as a signed long whose bits are the unsigned id
 */
public record Tid(long value) implements Comparable<Tid> {
  /** 8 zero bytes: "before any transaction" ({@code ZODB.utils.z64}). */
  public static final Tid Z64 = new Tid(0);

  /** The largest tid ZODB uses, {@code 7fffffffffffffff} ({@code ZODB.utils.maxtid}). */
  public static final Tid MAX = new Tid(Long.MAX_VALUE);

  /** Seconds per unit of the low word, as persistent's C code computes it ({@code SCONV}). */
  private static final double SCONV = 60.0 / (1L << 32);

  private static final ValueLayout.OfLong BE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  /**
   * Decodes 8 big-endian bytes.
   *
   * @throws IllegalArgumentException if {@code bytes} is not 8 bytes long
   */
  public static Tid of(byte[] bytes) {
    if (bytes.length != Oid.BYTES) {
      throw new IllegalArgumentException(
          "tid: " + bytes.length + " bytes (expected: " + Oid.BYTES + ")");
    }
    return new Tid(Oid.bytesToLong(bytes));
  }

  /**
   * Decodes the 8 big-endian bytes of a segment.
   *
   * @throws IllegalArgumentException if {@code bytes} is not 8 bytes long
   */
  public static Tid of(MemorySegment bytes) {
    if (bytes.byteSize() != Oid.BYTES) {
      throw new IllegalArgumentException(
          "tid: " + bytes.byteSize() + " bytes (expected: " + Oid.BYTES + ")");
    }
    return new Tid(bytes.get(BE_LONG, 0));
  }

  /**
   * Parses 16 hex digits, as {@link #toHex()} prints them.
   *
   * @throws IllegalArgumentException if {@code hex} is not 16 hex digits
   */
  public static Tid ofHex(String hex) {
    return of(Oid.parseHex16("tid", hex));
  }

  /**
   * The tid of a UTC date and time, as persistent's {@code TimeStamp(y, mo, d, h, mi, s)}.
   *
   * @param seconds seconds within the minute, {@code 0 <= seconds < 60}, with fraction
   * @throws IllegalArgumentException if a field is out of its range (year 1900..9999)
   */
  public static Tid of(int year, int month, int day, int hour, int minute, double seconds) {
    checkRange("year", year, 1900, 9999);
    checkRange("month", month, 1, 12);
    checkRange("day", day, 1, 31);
    checkRange("hour", hour, 0, 23);
    checkRange("minute", minute, 0, 59);
    if (!(seconds >= 0 && seconds < 60)) {
      throw new IllegalArgumentException("seconds: " + seconds + " (expected: 0 <= s < 60)");
    }
    long a = ((((year - 1900) * 12L + (month - 1)) * 31 + (day - 1)) * 24 + hour) * 60 + minute;
    if (a > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(
          "date "
              + year
              + "-"
              + month
              + "-"
              + day
              + " (expected: before the high word overflows,"
              + " year < 9918)");
    }
    long b = (long) (seconds / SCONV);
    if (b > 0xFFFF_FFFFL) {
      b = 0xFFFF_FFFFL;
    }
    return new Tid((a << 32) | b);
  }

  /** The tid of an instant (UTC), with the instant's sub-second precision. */
  public static Tid of(Instant instant) {
    ZonedDateTime t = instant.atZone(ZoneOffset.UTC);
    double seconds = t.getSecond() + t.getNano() / 1e9;
    return of(
        t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), seconds);
  }

  /** The tid of the clock's current time. Use {@link #laterThan} to keep tids increasing. */
  public static Tid now(Clock clock) {
    return of(clock.instant());
  }

  /** The tid of the system clock's current time. */
  public static Tid now() {
    return now(Clock.systemUTC());
  }

  /**
   * This tid if it is greater than {@code previous}, else the smallest tid after {@code previous}:
   * its low word plus one, or, when that word would overflow, the start of the next calendar minute
   * (persistent's {@code TimeStamp.laterThan}).
   *
   * @throws IllegalStateException if {@code previous} is the last representable tid
   */
  public Tid laterThan(Tid previous) {
    if (compareTo(previous) > 0) {
      return this;
    }
    if ((previous.value & 0xFFFF_FFFFL) != 0xFFFF_FFFFL) {
      return new Tid(previous.value + 1);
    }
    ZonedDateTime next = previous.toDateTime().withSecond(0).withNano(0).plusMinutes(1);
    Tid result = of(next.toInstant());
    if (result.compareTo(previous) <= 0) {
      throw new IllegalStateException("no tid after " + previous);
    }
    return result;
  }

  /** Year, as encoded in the high word. */
  public int year() {
    return (int) (high() / (60L * 24 * 31 * 12)) + 1900;
  }

  /** Month 1..12, as encoded. */
  public int month() {
    return (int) (high() / (60L * 24 * 31) % 12) + 1;
  }

  /** Day 1..31, as encoded (every month counts 31 days, so this can exceed the real month). */
  public int day() {
    return (int) (high() / (60L * 24) % 31) + 1;
  }

  /** Hour 0..23. */
  public int hour() {
    return (int) (high() / 60 % 24);
  }

  /** Minute 0..59. */
  public int minute() {
    return (int) (high() % 60);
  }

  /** Seconds within the minute, with fraction: {@code low word * 60 / 2^32}. */
  public double seconds() {
    return (value & 0xFFFF_FFFFL) * SCONV;
  }

  /**
   * Seconds since 1970-01-01 UTC, as persistent's {@code TimeStamp.timeTime()} (what {@code
   * history} and {@code undoLog} report as {@code time}).
   */
  public double toEpochSeconds() {
    long days = LocalDate.of(year(), month(), 1).toEpochDay() + day() - 1;
    return days * 86400.0 + hour() * 3600.0 + minute() * 60.0 + seconds();
  }

  /** The instant of this tid, to the nanosecond (the low word is finer than that). */
  public Instant toInstant() {
    return toDateTime().toInstant();
  }

  /** The 8 big-endian bytes. */
  public byte[] toBytes() {
    return Oid.longToBytes(value);
  }

  /** 16 lower-case hex digits. */
  public String toHex() {
    return HexFormat.of().toHexDigits(value);
  }

  @Override
  public int compareTo(Tid other) {
    return Long.compareUnsigned(value, other.value);
  }

  /** Hex digits and the UTC time, e.g. {@code 0405e70180000000 (2026-01-01T00:01:30Z)}. */
  @Override
  public String toString() {
    return toHex() + " (" + (value == 0 ? "z64" : toInstant().toString()) + ")";
  }

  private long high() {
    return value >>> 32;
  }

  private ZonedDateTime toDateTime() {
    long nanos = (long) Math.floor(seconds() * 1e9);
    return LocalDate.of(year(), month(), 1)
        .plusDays(day() - 1)
        .atTime(hour(), minute())
        .atZone(ZoneOffset.UTC)
        .plusNanos(nanos);
  }

  private static void checkRange(String what, int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(what + ": " + v + " (expected: " + min + ".." + max + ")");
    }
  }

  // equals and hashCode are written out rather than generated: a record's generated methods are
  // linked at their first call through an invokedynamic bootstrap that the launcher's AOT cache
  // does not keep, several ms of every command's start (docs/benchmarks.md, start-up)
  @Override
  public boolean equals(Object o) {
    return o instanceof Tid other && value == other.value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }
}
