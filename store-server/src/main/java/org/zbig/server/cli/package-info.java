/**
 * {@code bin/zbig-server}, the server's command line (picocli, each command's model built in code
 * along the path the arguments take: {@link org.zbig.server.cli.Main#TREE}, {@code
 * org.zbig.clicommon.CommandTree}; no annotations, whose proxy classes cost a start more than the
 * rest of its parse): {@code serve} runs a server from its options, a YAML settings file ({@code
 * --config}, each key an option's long name, given to picocli as default values by {@link
 * org.zbig.server.cli.YamlDefaults}, so the command line wins) or both, and prints a ready line
 * once it listens; {@code import-fs} copies a FileStorage {@code Data.fs} with its history into a
 * data folder; {@code verify} and {@code analyze} read a data folder no server has open; {@code
 * pack} and {@code backup} work through ZEO on a running server ({@code --server HOST:PORT}, {@code
 * --storage}: {@link org.zbig.server.cli.RemoteStorageOptions}, which each adds); every command's
 * {@code --data} is {@link org.zbig.server.cli.DataFolderOption}. Progress of long tasks goes to
 * standard error ({@code org.zbig.clicommon.Progress}), as plain occasional lines when it is not a
 * terminal. Everything this package does goes through the public API of {@link org.zbig.server}
 * ({@link org.zbig.server.ZeoServer}, {@link org.zbig.server.ServerConfig}, {@link
 * org.zbig.server.http.StatusServer}).
 */
package org.zbig.server.cli;
