/**
 * What the command lines ({@code bin/zbig}, {@code bin/zbig-server}) share about the terminal they
 * talk to: {@link org.zbig.terminal.Progress}, the progress bar of long commands (imports, exports,
 * verify, pack), drawn in place on a terminal and printed as plain occasional lines otherwise (a
 * script, a log file, CI), without escape codes or carriage returns.
 */
package org.zbig.terminal;
