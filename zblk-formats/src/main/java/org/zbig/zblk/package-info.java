/**
 * Block formats of big files, pure and I/O-free: ZBlk0 (one object per block) and ZBlk1 (the block
 * in 4 KiB ZData chunks in an IOBTree), trailing-zero trimming, and the {@code auto} policy that
 * picks one per block.
 *
 * <h2>What it connects</h2>
 *
 * The client's {@code ZBigFile} asks this module how to turn a block of bytes into records and
 * back; the records must be byte-compatible with Python wendelin.core (formats spec section 4).
 *
 * <h2>API for clients (built by the zblk-formats issue)</h2>
 *
 * <ul>
 *   <li>{@code ZBlk0} and {@code ZBlk1}: encode a block into states and decode them back.
 *   <li>{@code ZBlkFormat}: the write format chosen by {@code WENDELIN_CORE_ZBLK_FMT} ({@code
 *       ZBlk0}, {@code ZBlk1}, {@code auto}), with a programmatic override.
 * </ul>
 *
 * <h2>Deliberately not done</h2>
 *
 * No I/O and no persistence machinery: states go in and out as values of {@code
 * org.zbig.zodb.pickle}.
 */
package org.zbig.zblk;
