package org.zbig.server;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The storage's commit lock, taken at vote (protocol spec 3.3.8, 5.5). Asynchronous: a vote that
 * must wait is queued, and its continuation runs when the lock is handed to it, so no event loop
 * ever blocks on it. Owners are connection objects.
 */
final class CommitLock {
  private record Waiter(Object owner, Runnable onAcquired) {}

  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private Object holder;

  /**
   * Takes the lock for {@code owner} now (returns true) or queues {@code onAcquired} to run, on the
   * releasing thread, once it is handed over (returns false).
   */
  synchronized boolean acquire(Object owner, Runnable onAcquired) {
    if (holder == null) {
      holder = owner;
      return true;
    }
    waiters.add(new Waiter(owner, onAcquired));
    return false;
  }

  /** Whether {@code owner} holds the lock. */
  synchronized boolean heldBy(Object owner) {
    return holder == owner;
  }

  /** Whether {@code owner} waits for the lock. */
  synchronized boolean waiting(Object owner) {
    return waiters.stream().anyMatch(w -> w.owner() == owner);
  }

  /** Releases the lock if {@code owner} holds it, or drops its place in the queue. */
  void release(Object owner) {
    Waiter next;
    synchronized (this) {
      waiters.removeIf(w -> w.owner() == owner);
      if (holder != owner) {
        return;
      }
      next = waiters.poll();
      holder = next == null ? null : next.owner();
    }
    if (next != null) {
      next.onAcquired().run();
    }
  }

  /** Whether a transaction holds the lock or waits for it. */
  synchronized boolean busy() {
    return holder != null || !waiters.isEmpty();
  }

  /** The number of votes waiting. */
  synchronized int waitingCount() {
    return waiters.size();
  }
}
