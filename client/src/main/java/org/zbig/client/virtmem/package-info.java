/**
 * virtmem: pages of big files in RAM, loaded lazily, shown as memory, written back at commit and
 * followed when the database changes. The core knows nothing of ZODB: a {@link
 * org.zbig.client.virtmem.BigFile} loads and stores blocks.
 *
 * <h2>Pieces</h2>
 *
 * <ul>
 *   <li>{@code Ram}: a memfd (else an unlinked file on /dev/shm) through JNA, cut into page-size
 *       slots; a slot's memory is {@code fallocate}d when taken (a full file system is a clear
 *       {@link org.zbig.client.virtmem.VirtMemException}) and released by punching a hole. The
 *       loader that first takes new memory writes to each of its 4 KiB pages before loading, so
 *       that the first-touch cost of a VM's shadowed page tables is not paid inside the network
 *       thread's copy.
 *   <li>{@link org.zbig.client.virtmem.VirtMem}: the one lock, the RAM budget and the LRU order of
 *       evictable pages (loaded, clean, unpinned).
 *   <li>{@link org.zbig.client.virtmem.FileHandle}: the page map of one file; every page state
 *       transition ({@link org.zbig.client.virtmem.PageState}) happens there, under the lock; each
 *       page knows the mappings that show it (the reverse map), so invalidation and reclaim touch
 *       only those.
 *   <li>{@link org.zbig.client.virtmem.Mapping}: address space reserved with {@code
 *       mmap(PROT_NONE)}, the pages' slots mapped into it with {@code MAP_SHARED | MAP_FIXED}: one
 *       contiguous {@code MemorySegment} (any size, over 2 GiB too) whose {@code Arena} makes use
 *       after close an exception, never a crash. Pages loaded together take consecutive slots where
 *       the RAM has a run of them, and a read-only mapping of pages in consecutive slots is
 *       borrowed from the slots' own view: no new mapping, and no first-touch cost of new
 *       page-table entries.
 * </ul>
 *
 * <h2>Why pages are loaded before a mapping is handed out</h2>
 *
 * The JVM cannot take page faults for us (a {@code userfaultfd} handler in the same JVM deadlocks
 * with the garbage collector), so a mapping's pages are loaded (in parallel, on virtual threads)
 * and pinned before {@link org.zbig.client.virtmem.FileHandle#map} returns, and a few following
 * blocks are read ahead. For the same reason writes cannot be trapped: a page mapped writable is
 * {@code DIRTY} ("may have changed"), and {@link org.zbig.client.virtmem.FileHandle#writeout}
 * compares its checksum with the one taken before the first writable mapping to store only pages
 * that really changed. A read-only mapping's segment refuses writes.
 *
 * <h2>Transactions</h2>
 *
 * {@code Connection.join(FileHandle)} makes a file take part in a connection's transactions:
 * writeout before the objects are stored, discard on abort. Invalidation ({@link
 * org.zbig.client.virtmem.FileHandle#invalidate}) runs at transaction boundaries: mapped pages are
 * loaded again and mapped at the same addresses, others are dropped.
 */
package org.zbig.client.virtmem;
