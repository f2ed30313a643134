package org.zbig.zblk;

import java.util.Map;

/**
 * The format blocks are written in, as {@code WENDELIN_CORE_ZBLK_FMT} selects it (docs/formats.md
 * §4.4): {@code ZBlk0} (the default), {@code ZBlk1} or {@code auto}. Readers accept both formats
 * whatever is selected.
 */
public enum ZBlkFormat {
  /** One object per block: fast reads, the whole block rewritten on every change. */
  ZBLK0("ZBlk0"),
  /** The block in 4 KiB chunks: small growth of the database on small changes. */
  ZBLK1("ZBlk1"),
  /** Per block, as wendelin.core decides: small appends and changes in ZBlk1, full blocks ZBlk0. */
  AUTO("auto");

  /** The environment variable that selects the format. */
  public static final String ENV = "WENDELIN_CORE_ZBLK_FMT";

  private final String text;

  ZBlkFormat(String text) {
    this.text = text;
  }

  /** The name as written in the environment variable. */
  public String text() {
    return text;
  }

  /**
   * The format named {@code value}.
   *
   * @throws IllegalArgumentException naming the value and the expected ones
   */
  public static ZBlkFormat parse(String value) {
    for (ZBlkFormat f : values()) {
      if (f.text.equals(value)) {
        return f;
      }
    }
    throw new IllegalArgumentException(ENV + ": '" + value + "' (expected: ZBlk0, ZBlk1 or auto)");
  }

  /** The format selected by {@code env}: {@link #ENV}'s value, {@link #ZBLK0} if unset. */
  public static ZBlkFormat fromEnvironment(Map<String, String> env) {
    String v = env.get(ENV);
    return v == null ? ZBLK0 : parse(v);
  }

  /**
   * The format this process writes, as {@link #ENV} says now.
   *
   * @throws IllegalArgumentException naming the value and the expected ones if the variable holds
   *     an unknown value (each call: nothing is cached, so a reader that never writes is never
   *     affected)
   */
  public static ZBlkFormat fromEnvironment() {
    return fromEnvironment(System.getenv());
  }
}
