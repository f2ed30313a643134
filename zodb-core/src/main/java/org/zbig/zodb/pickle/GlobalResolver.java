package org.zbig.zodb.pickle;

import java.util.Set;

/**
 * Decides what a pickle's global reference ({@code GLOBAL}, {@code INST}, {@code STACK_GLOBAL})
 * becomes. The reader never imports or constructs anything: a resolver either returns a value to
 * stand for the global (normally the {@link Global} itself) or refuses it. This is the allow-list
 * of the reader.
 */
@FunctionalInterface
public interface GlobalResolver {
  /**
   * The value that stands for {@code module.name}.
   *
   * @throws PickleException if the global is not allowed
   */
  Object resolve(String module, String name);

  /**
   * Every global becomes an opaque {@link Global}. Right for ZODB records, whose class references
   * name arbitrary persistent classes that are mapped to Java classes later.
   */
  static GlobalResolver opaque() {
    return Global::new;
  }

  /**
   * Globals from the listed modules become {@link Global}s; any other is refused with a {@link
   * PickleException} naming it. A module name ending in {@code .*} allows its sub-modules.
   */
  static GlobalResolver allowModules(Set<String> modules) {
    Set<String> allowed = Set.copyOf(modules);
    return (module, name) -> {
      if (allowed.contains(module)) {
        return new Global(module, name);
      }
      for (int dot = module.lastIndexOf('.'); dot > 0; dot = module.lastIndexOf('.', dot - 1)) {
        if (allowed.contains(module.substring(0, dot) + ".*")) {
          return new Global(module, name);
        }
      }
      throw new PickleException(
          -1, "global not allowed: " + module + "." + name + " (allowed modules: " + allowed + ")");
    };
  }

  /** Refuses every global. */
  static GlobalResolver none() {
    return (module, name) -> {
      throw new PickleException(-1, "global not allowed: " + module + "." + name);
    };
  }
}
