package org.zbig.server.cli;

import java.io.Console;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.zbig.zodb.SuppressForbidden;

/**
 * The progress bar of the server's commands ({@code import-fs}, {@code verify}, {@code pack}): on a
 * terminal, a bar redrawn in place; otherwise (a script, a log file, CI) a plain ASCII line every
 * 10 seconds on standard error, without escape codes or carriage returns.
 */
final class Progress {
  private Progress() {}

  /** Whether the process talks to a terminal (standard input and output). */
  @SuppressWarnings("SystemConsoleNull") // still null when jdk.console names no provider
  static boolean terminal() {
    Console c = System.console();
    return c != null && c.isTerminal();
  }

  /**
   * A bar for {@code task} up to {@code max} ({@code -1}: unknown), counting bytes in MiB when
   * {@code bytes}.
   */
  @SuppressForbidden("progress of a command-line task goes to standard error")
  static ProgressBar bar(String task, long max, boolean bytes) {
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max);
    if (bytes) {
      b.setUnit(" MiB", 1 << 20).showSpeed();
    }
    if (!terminal()) {
      b.setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(10_000)
          .setConsumer(new DelegatingProgressBarConsumer(System.err::println, 100));
    }
    return b.build();
  }
}
