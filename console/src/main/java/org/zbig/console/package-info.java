/**
 * The web console: a page for people on the server's status listener ({@code --status HOST:PORT},
 * path {@code /console}), read-only, served over HTTPS when the server has TLS.
 *
 * <h2>Design</h2>
 *
 * <ul>
 *   <li>{@link org.zbig.console.Console} is a {@link org.zbig.server.http.StatusPage} found by
 *       {@link java.util.ServiceLoader}: the server's module knows nothing of it, and a server
 *       started without this module on its class path has no console. It serves one hand-written
 *       HTML page with its script and SVG (no file is fetched from elsewhere at run time) and a
 *       JSON API under {@code /console/api/}; the server's numbers come from {@code /status}.
 *   <li>Objects and arrays are read through the project's own Java client: per storage one
 *       read-only {@link org.zbig.client.Database} connected to the server over loopback (with TLS
 *       when the server has it), one {@link org.zbig.client.Connection} moved to the newest
 *       snapshot at each request, and a {@link org.zbig.client.virtmem.VirtMem} page cache. So a
 *       slice is computed where the data is, and only the picture goes to the browser.
 *   <li>{@link org.zbig.console.Slices} turns an index (numpy's basic indexing) and a reduction
 *       (stride or mean) into views of bands of the array, so that a slice of a 4 GiB array maps
 *       only the blocks a band needs; {@link org.zbig.console.Heatmap} colours the result (viridis)
 *       into a PNG.
 *   <li>Bad input (an unknown array, a malformed index, an index out of range, an image too big) is
 *       a 4xx with a message naming the value and what is expected.
 *   <li>The page refreshes the array it shows when the server's invalidations say one of the
 *       array's objects changed ({@code /console/api/wait}, a long poll).
 * </ul>
 */
package org.zbig.console;
