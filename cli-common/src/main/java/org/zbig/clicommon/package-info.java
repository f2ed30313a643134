/**
 * What the two command lines ({@code bin/zbig}, {@code bin/zbig-server}) share. {@link
 * org.zbig.clicommon.Progress}: the progress bar of long commands (imports, exports, verify, pack),
 * drawn in place on a terminal and printed as plain occasional lines otherwise (a script, a log
 * file, CI), without escape codes or carriage returns. {@link org.zbig.clicommon.TlsOptions}: a ZEO
 * client's TLS options ({@code --tls-ca}, {@code --tls-cert}, {@code --tls-key}), for {@code
 * bin/zbig} and for the server's commands that connect to a server. {@link
 * org.zbig.clicommon.CommandTree}: a picocli command line described in code rather than annotations
 * (the JDK's annotation proxies were a third of a short command's start) and made along the path
 * the arguments take; {@code bin/zbig} is built with it.
 */
package org.zbig.clicommon;
