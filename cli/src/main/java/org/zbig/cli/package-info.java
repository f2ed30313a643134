/**
 * {@code bin/zbig}, the command-line client: the load generator ({@code bench server}) and the
 * array commands ({@code ls}, {@code array ...}); the global option {@code --server HOST:PORT}
 * comes before the command. Built by the client and bigarray issues.
 */
package org.zbig.cli;
