package org.zbig.server.cli;

/** Lets tests of other packages run the command line in-process. */
public final class MainAccess {
  private MainAccess() {}

  /** {@link Main#run}. */
  public static int run(String... args) {
    return Main.run(args);
  }
}
