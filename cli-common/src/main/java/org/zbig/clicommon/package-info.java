/**
 * What the two command lines ({@code bin/zbig}, {@code bin/zbig-server}) share. {@link
 * org.zbig.clicommon.Progress}: the progress bar of long commands (imports, exports, verify, pack),
 * drawn in place on a terminal and printed as plain occasional lines otherwise (a script, a log
 * file, CI), without escape codes or carriage returns. {@link org.zbig.clicommon.TlsOptions}: the
 * picocli mixin of a ZEO client's TLS options ({@code --tls-ca}, {@code --tls-cert}, {@code
 * --tls-key}), for {@code bin/zbig} and for the server's commands that connect to a server.
 */
package org.zbig.clicommon;
