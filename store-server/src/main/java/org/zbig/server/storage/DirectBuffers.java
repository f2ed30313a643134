package org.zbig.server.storage;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reusable direct memory for big records on their way from the storage to a socket: a record of
 * {@link #MIN} bytes or more is read straight into a buffer taken here and handed to Netty as it
 * is, so its bytes are copied once between RocksDB and the socket (a heap array would be copied
 * again into a direct buffer by Netty, whose allocators fall back to a fresh, zeroed buffer for
 * each reply of megabytes). Buffers are taken by a {@link Lease} and come back when it is released
 * (after the reply is written); at most {@code maxKept} bytes of them are kept for reuse.
 *
 * <p>The bytes in use (taken, not yet given back: replies waiting in the outbound buffers of
 * clients that do not read them) have a budget: past it, {@link #overBudget()} tells connections
 * that still have such replies pending to hold their next requests back, and {@link
 * #whenUnderBudget} wakes them once memory comes back. Thread-safe.
 */
public final class DirectBuffers {
  /** Records from this size on are worth a direct buffer. */
  public static final int MIN = 64 << 10;

  private static final int STEP = 256 << 10; // sizes are rounded up to this

  private final long maxKept;
  private final long budget;
  private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
  private final List<Runnable> waiting = new ArrayList<>();
  private long kept;
  private long inUse;

  /** Buffers of which at most {@code maxKept} bytes are kept for reuse, without a budget. */
  public DirectBuffers(long maxKept) {
    this(maxKept, Long.MAX_VALUE);
  }

  /** Buffers of which at most {@code maxKept} bytes are kept, {@code budget} bytes in use. */
  public DirectBuffers(long maxKept, long budget) {
    this.maxKept = maxKept;
    this.budget = budget;
  }

  /** Whether the bytes in use reached the budget. */
  public synchronized boolean overBudget() {
    return inUse >= budget;
  }

  /** Bytes in use now (taken and not given back). */
  public synchronized long inUse() {
    return inUse;
  }

  /** Runs {@code wake} once the bytes in use are under the budget (at once if they are). */
  public void whenUnderBudget(Runnable wake) {
    synchronized (this) {
      if (inUse >= budget) {
        waiting.add(wake);
        return;
      }
    }
    wake.run();
  }

  /** A new lease: the buffers taken through it come back at {@link Lease#release}. */
  public Lease lease() {
    return new Lease();
  }

  private synchronized ByteBuffer take(int size) {
    int capacity = (int) Math.min(Integer.MAX_VALUE, ((long) size + STEP - 1) / STEP * STEP);
    ArrayDeque<ByteBuffer> q = free.get(capacity);
    ByteBuffer b = q == null ? null : q.poll();
    if (b == null) {
      b = ByteBuffer.allocateDirect(capacity);
    } else {
      kept -= capacity;
    }
    inUse += capacity;
    return b.clear().limit(size);
  }

  private void give(ByteBuffer b) {
    List<Runnable> wake = null;
    synchronized (this) {
      inUse -= b.capacity();
      if (kept + b.capacity() <= maxKept) {
        free.computeIfAbsent(b.capacity(), c -> new ArrayDeque<>()).push(b);
        kept += b.capacity();
      }
      if (inUse < budget && !waiting.isEmpty()) {
        wake = List.copyOf(waiting);
        waiting.clear();
      }
    }
    if (wake != null) {
      wake.forEach(Runnable::run);
    }
  }

  /** Bytes kept for reuse now. */
  public synchronized long kept() {
    return kept;
  }

  /** The buffers of one reply: valid until released; released once. */
  public final class Lease {
    private List<ByteBuffer> taken; // made by the first take: most replies take none
    private boolean released;

    private Lease() {}

    /** A buffer of {@code size} bytes (position 0, limit {@code size}), content undefined. */
    public ByteBuffer take(int size) {
      if (released) {
        throw new IllegalStateException("lease released");
      }
      ByteBuffer b = DirectBuffers.this.take(size);
      if (taken == null) {
        taken = new ArrayList<>(1);
      }
      taken.add(b);
      return b;
    }

    /** The bytes of the buffers taken. */
    public long bytes() {
      long n = 0;
      if (taken != null) {
        for (ByteBuffer b : taken) {
          n += b.capacity();
        }
      }
      return n;
    }

    /** Whether a buffer was taken (and is to be given back). */
    public boolean holdsAny() {
      return taken != null && !taken.isEmpty();
    }

    /** Gives every buffer back; their memory must not be used after. Idempotent. */
    public void release() {
      if (!released) {
        released = true;
        if (taken != null) {
          taken.forEach(DirectBuffers.this::give);
          taken.clear();
        }
      }
    }
  }
}
