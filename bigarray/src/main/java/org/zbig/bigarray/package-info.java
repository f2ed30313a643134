/**
 * The array API users program against: numpy-like arrays whose slices are strided views over mapped
 * pages of a big file.
 *
 * <h2>What it connects</h2>
 *
 * Applications on one side; virtmem mappings of a {@code ZBigFile} on the other. Persistent layout:
 * formats spec section 4.5 ({@code ZBigArray}).
 *
 * <h2>API for clients (built by the bigarray issue)</h2>
 *
 * <ul>
 *   <li>{@code DType}: numpy dtypes with byte order, and structured dtypes.
 *   <li>{@code NDArray}: strided views over a {@code MemorySegment}, sliced without copies.
 *   <li>{@code BigArray} / {@code ZBigArray}: arrays over a file handle, and their persistent form.
 * </ul>
 *
 * <h2>Deliberately not done</h2>
 *
 * The pure view core allocates no page memory; it only views the segments it is given.
 */
package org.zbig.bigarray;
