/**
 * Block formats of big files, pure and I/O-free (docs/formats.md §4): {@link
 * org.zbig.zblk.ZBlk0Codec} (the block as one byte string), {@link org.zbig.zblk.ZBlk1Codec} (the
 * block in 4 KiB chunks, any chunking read), trailing-zero trimming ({@link org.zbig.zblk.Blocks}),
 * the {@code auto} policy exactly as wendelin.core decides it ({@link org.zbig.zblk.AutoPolicy}),
 * and {@link org.zbig.zblk.ZBlkFormat}, the write format chosen by {@code WENDELIN_CORE_ZBLK_FMT}
 * with a programmatic override.
 *
 * <p>States go in and out as values of {@code org.zbig.zodb.pickle}; blocks as {@code
 * MemorySegment}s, encoded without copies (the states are views of the block). The client's {@code
 * ZBigFile} turns them into persistent objects and records.
 */
package org.zbig.zblk;
