/**
 * {@code bin/zbig}, the command-line client: the load generator ({@code bench server}) and the
 * array commands ({@code ls}, {@code array ...}); the global option {@code --server HOST:PORT}
 * comes before the command. The commands build their picocli models in code ({@link
 * org.zbig.clicommon.CommandTree}), not from annotations, so that a start makes no annotation
 * proxies; {@link org.zbig.cli.Main#TREE} lists them.
 */
package org.zbig.cli;
