package org.zbig.client;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zbig.zodb.Oid;

/**
 * A connection's object cache, as ZODB's pickle cache: one Java object per oid while the
 * application holds it (weakly referenced here, so an object nobody holds is collected), and the
 * objects holding loaded state in least-recently-used order; beyond {@link #setSize} of them the
 * oldest unchanged ones become ghosts. Used by the connection's own thread only.
 */
final class PickleCache {
  static final int DEFAULT_SIZE = 10_000;

  private final Map<Oid, WeakEntry> identity = new HashMap<>();
  private final ReferenceQueue<Persistent> collected = new ReferenceQueue<>();
  private final LinkedHashMap<Oid, Persistent> active = new LinkedHashMap<>(16, 0.75f, true);
  private int size = DEFAULT_SIZE;

  private static final class WeakEntry extends WeakReference<Persistent> {
    final Oid oid;

    WeakEntry(Persistent p, ReferenceQueue<Persistent> q) {
      super(p, q);
      this.oid = p.oid;
    }
  }

  /** Sets how many loaded objects are kept loaded. */
  void setSize(int objects) {
    if (objects < 1) {
      throw new IllegalArgumentException("cache size: " + objects + " (expected: >= 1)");
    }
    size = objects;
  }

  /** The object {@code oid} if it is cached, or null. */
  Persistent get(Oid oid) {
    drainCollected();
    WeakEntry e = identity.get(oid);
    return e == null ? null : e.get();
  }

  private void drainCollected() {
    for (WeakEntry e; (e = (WeakEntry) collected.poll()) != null; ) {
      if (identity.get(e.oid) == e) {
        identity.remove(e.oid);
      }
    }
  }

  /** Makes {@code p} object {@code oid} of {@code jar}. */
  void attach(Persistent p, Oid oid, Connection jar) {
    p.jar = jar;
    p.oid = oid;
    identity.put(oid, new WeakEntry(p, collected));
  }

  /** Forgets {@code p}, an object added in a transaction that was aborted: it is new again. */
  void forget(Persistent p) {
    identity.remove(p.oid);
    active.remove(p.oid);
    p.jar = null;
    p.oid = null;
    p.serial = null;
    p.state = Persistent.State.NEW;
  }

  /**
   * Called on access: keeps the object in the loaded set, making ghosts of the oldest beyond it.
   */
  void touched(Persistent p) {
    if (p.oid == null) {
      return;
    }
    active.put(p.oid, p);
    if (active.size() > size) {
      Iterator<Persistent> it = active.values().iterator();
      while (active.size() > size && it.hasNext()) {
        Persistent old = it.next();
        if (old == p || old.state == Persistent.State.CHANGED) {
          continue;
        }
        it.remove();
        if (old.state == Persistent.State.UP_TO_DATE) {
          old.clearState();
          old.state = Persistent.State.GHOST;
        }
      }
    }
  }

  /** Makes a ghost of {@code p} if it holds unchanged state (an invalidation, a deactivation). */
  void ghostify(Persistent p) {
    if (p.state == Persistent.State.UP_TO_DATE) {
      p.clearState();
      p.state = Persistent.State.GHOST;
      active.remove(p.oid);
    }
  }

  /** Makes a ghost of {@code p} if it holds changes (they are being dropped). */
  void discard(Persistent p) {
    if (p.state == Persistent.State.CHANGED) {
      p.clearState();
      p.state = Persistent.State.GHOST;
      active.remove(p.oid);
    }
  }

  /** Makes ghosts of all objects that hold unchanged state. */
  void ghostifyAll() {
    for (Persistent p : List.copyOf(active.values())) {
      ghostify(p);
    }
  }
}
