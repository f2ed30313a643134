/**
 * The server's HTTP side ({@code --status-port}): {@link org.zbig.server.http.StatusServer} serves
 * the status JSON ({@code /status}, written with Jackson) and Prometheus metrics ({@code
 * /metrics}), over TLS when the server has it. {@link org.zbig.server.http.StatusPage} is the
 * extension point through which another module (the web console) adds pages; it is found with
 * {@link java.util.ServiceLoader}.
 */
package org.zbig.server.http;
