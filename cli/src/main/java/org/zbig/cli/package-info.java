/**
 * {@code bin/zbig}, the command-line client: the load generator ({@code bench server}) and the
 * array commands ({@code ls}, {@code array ...}); the global option {@code --server HOST:PORT}
 * comes before the command.
 */
package org.zbig.cli;
