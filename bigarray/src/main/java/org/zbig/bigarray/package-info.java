/**
 * numpy-like arrays over paged files (docs/formats.md §4.5): {@link org.zbig.bigarray.DType},
 * {@link org.zbig.bigarray.NDArray} strided views, {@link org.zbig.bigarray.BigArray} over a
 * virtmem file handle and {@link org.zbig.bigarray.ZBigArray}, wendelin.core's persistent array;
 * {@link org.zbig.bigarray.Npy} and {@link org.zbig.bigarray.ArrayFiles} move arrays to and from
 * {@code .npy} files.
 *
 * <h2>Views and pages</h2>
 *
 * Indexing maps a layout (offset, shape, byte strides) to another without touching memory ({@code
 * Layout}). A {@code BigArray} view maps exactly the pages between the lowest and the highest byte
 * its elements touch, computed from the sign of each stride, so a view with negative steps or an
 * element straddling a page edge maps what it needs and an empty view maps nothing.
 */
package org.zbig.bigarray;
