package org.zbig.clicommon;

import java.io.Console;
import java.io.PrintStream;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.zbig.zodb.SuppressForbidden;

/**
 * The progress bar of a long command, on standard error: on a terminal, a bar redrawn in place;
 * otherwise (a script, a log file, CI) a plain ASCII line every 10 seconds, without escape codes or
 * carriage returns.
 */
public final class Progress {
  /** How often a bar not on a terminal prints its line. */
  public static final int PLAIN_INTERVAL_MILLIS = 10_000;

  private Progress() {}

  /** Whether the process talks to a terminal. */
  @SuppressWarnings("SystemConsoleNull") // still null when jdk.console names no provider
  public static boolean terminal() {
    Console c = System.console();
    return c != null && c.isTerminal();
  }

  /**
   * A bar for {@code task} up to {@code max} ({@code -1}: unknown), counting bytes in MiB when
   * {@code bytes}, on standard error: drawn in place on a terminal, else {@link #plain} lines.
   */
  @SuppressForbidden("progress of a command-line task goes to standard error")
  public static ProgressBar bar(String task, long max, boolean bytes) {
    return terminal() ? builder(task, max, bytes).build() : plain(task, max, bytes, System.err);
  }

  /**
   * A bar that prints plain ASCII lines on {@code out}, one every {@link #PLAIN_INTERVAL_MILLIS}
   * and one at the end, without escape codes or carriage returns.
   */
  public static ProgressBar plain(String task, long max, boolean bytes, PrintStream out) {
    return builder(task, max, bytes)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(PLAIN_INTERVAL_MILLIS)
        .setConsumer(new DelegatingProgressBarConsumer(out::println, 100))
        .build();
  }

  private static ProgressBarBuilder builder(String task, long max, boolean bytes) {
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max);
    if (bytes) {
      b.setUnit(" MiB", 1 << 20).showSpeed();
    }
    return b;
  }
}
