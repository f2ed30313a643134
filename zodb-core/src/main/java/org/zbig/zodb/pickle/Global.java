package org.zbig.zodb.pickle;

/**
 * A reference to a Python class or function by module and name (pickle {@code GLOBAL}). Only a
 * name: nothing is looked up or constructed.
 *
 * @param module the dotted module name, e.g. {@code persistent.mapping}
 * @param name the name inside the module, e.g. {@code PersistentMapping}
 */
public record Global(String module, String name) {
  /** Checks that neither part is empty or contains a line break (GLOBAL is line-based). */
  public Global {
    check("module", module);
    check("name", name);
  }

  /** Parses {@code module.name}, splitting at the last dot. */
  public static Global of(String dotted) {
    int dot = dotted.lastIndexOf('.');
    if (dot <= 0 || dot == dotted.length() - 1) {
      throw new IllegalArgumentException(
          "global: '" + dotted + "' (expected: module.name with a non-empty module and name)");
    }
    return new Global(dotted.substring(0, dot), dotted.substring(dot + 1));
  }

  /** {@code module.name}. */
  public String dotted() {
    return module + "." + name;
  }

  @Override
  public String toString() {
    return dotted();
  }

  private static void check(String what, String s) {
    if (s.isEmpty() || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(
          "global " + what + ": '" + s + "' (expected: non-empty, no line breaks)");
    }
  }

  // equals and hashCode are written out rather than generated: a record's generated methods are
  // linked at their first call through an invokedynamic bootstrap that the launcher's AOT cache
  // does not keep, several ms of every command's start (docs/benchmarks.md, start-up)
  @Override
  public boolean equals(Object o) {
    return o instanceof Global g && module.equals(g.module) && name.equals(g.name);
  }

  @Override
  public int hashCode() {
    return 31 * module.hashCode() + name.hashCode();
  }
}
