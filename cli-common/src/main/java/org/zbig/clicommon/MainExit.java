package org.zbig.clicommon;

/**
 * How a command line's {@code main} ends: with {@link System#exit}, or by returning when that is
 * the same thing.
 *
 * <p>Since JDK 21 an exit first looks up the system logger of {@code java.lang.Runtime} (to log the
 * exit at debug level), and finding the logging backend searches every jar of the class path for a
 * {@code System.LoggerFinder} service: 15 ms of a 100 ms {@code --help} (docs/benchmarks.md,
 * start-up). A JVM whose {@code main} returns with no other non-daemon thread left ends as {@code
 * System.exit(0)} would, without that search.
 */
public final class MainExit {
  private MainExit() {}

  /**
   * Ends the JVM with {@code status}, or returns (and the caller's {@code main} returns at once)
   * when the status is 0 and no thread but this one would keep the JVM running.
   */
  public static void end(int status) {
    if (status == 0 && !othersRunning()) {
      return;
    }
    System.exit(status);
  }

  /** Whether a thread other than this one would keep the JVM running after {@code main} returns. */
  static boolean othersRunning() {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t != Thread.currentThread() && t.isAlive() && !t.isDaemon()) {
        return true;
      }
    }
    return false;
  }
}
