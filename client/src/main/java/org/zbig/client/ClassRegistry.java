package org.zbig.client;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.zbig.client.bigfile.ZBigFile;
import org.zbig.client.bigfile.ZBlk0;
import org.zbig.client.bigfile.ZBlk1;
import org.zbig.client.bigfile.ZData;
import org.zbig.client.btree.IOBTree;
import org.zbig.client.btree.IOBucket;
import org.zbig.client.btree.LOBTree;
import org.zbig.client.btree.LOBucket;
import org.zbig.client.btree.OOBTree;
import org.zbig.client.btree.OOBucket;
import org.zbig.zodb.pickle.Global;

/**
 * Maps Python classes {@code (module, name)} to Java classes of persistent objects and back. A
 * record of an unknown class loads as an {@link OpaqueObject}.
 */
public final class ClassRegistry {
  private final Map<Global, Supplier<? extends Persistent>> factories = new ConcurrentHashMap<>();
  private final Map<Class<?>, Global> names = new ConcurrentHashMap<>();

  /** A registry with the built-in classes. */
  public ClassRegistry() {
    register(
        "persistent.mapping.PersistentMapping", PersistentMapping.class, PersistentMapping::new);
    register("BTrees.Length.Length", Length.class, Length::new);
    register("BTrees.LOBTree.LOBTree", LOBTree.class, LOBTree::new);
    register("BTrees.LOBTree.LOBucket", LOBucket.class, LOBucket::new);
    register("BTrees.IOBTree.IOBTree", IOBTree.class, IOBTree::new);
    register("BTrees.IOBTree.IOBucket", IOBucket.class, IOBucket::new);
    register("BTrees.OOBTree.OOBTree", OOBTree.class, OOBTree::new);
    register("BTrees.OOBTree.OOBucket", OOBucket.class, OOBucket::new);
    register("wendelin.bigfile.file_zodb.ZBigFile", ZBigFile.class, ZBigFile::new);
    register("wendelin.bigfile.file_zodb.ZBlk0", ZBlk0.class, ZBlk0::new);
    register("wendelin.bigfile.file_zodb.ZBlk1", ZBlk1.class, ZBlk1::new);
    register("wendelin.bigfile.file_zodb.ZData", ZData.class, ZData::new);
    alias("wendelin.bigfile.file_zodb.ZBlk", ZBlk0::new); // early name
  }

  /**
   * Registers a Java class for the Python class {@code dottedName}.
   *
   * @param factory makes an empty instance (the connection sets its state)
   * @throws IllegalArgumentException if the Java class is registered under another name
   */
  public <T extends Persistent> void register(
      String dottedName, Class<T> type, Supplier<? extends T> factory) {
    Global g = Global.of(dottedName);
    Objects.requireNonNull(factory, "factory");
    Global before = names.putIfAbsent(type, g);
    if (before != null && !before.equals(g)) {
      throw new IllegalArgumentException(
          type.getName() + " is registered as " + before.dotted() + " (not " + dottedName + ")");
    }
    factories.put(g, factory);
  }

  /**
   * Loads records of the Python class {@code dottedName} as objects made by {@code factory}, which
   * are written back under the name their Java class is registered with (an old name of a class).
   */
  public void alias(String dottedName, Supplier<? extends Persistent> factory) {
    factories.put(Global.of(dottedName), Objects.requireNonNull(factory, "factory"));
  }

  /** An empty instance of the Java class registered for {@code type}, or null if none is. */
  Persistent create(Global type) {
    Supplier<? extends Persistent> f = factories.get(type);
    return f == null ? null : f.get();
  }

  /**
   * The Python class of a Java object.
   *
   * @throws IllegalArgumentException if its class is not registered
   */
  Global pythonClass(Persistent p) {
    if (p instanceof OpaqueObject o) {
      return o.pythonClass();
    }
    Global g = names.get(p.getClass());
    if (g == null) {
      throw new IllegalArgumentException(
          p.getClass().getName()
              + " is not registered: call Database.registry().register(\"module.Name\", "
              + p.getClass().getSimpleName()
              + ".class, ...)");
    }
    return g;
  }
}
