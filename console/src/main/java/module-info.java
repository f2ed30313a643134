/** See {@link org.zbig.console}. */
module org.zbig.console {
  requires org.zbig.server;
  requires org.zbig.client;
  requires org.zbig.bigarray;
  requires com.fasterxml.jackson.databind;
  requires java.desktop;
  requires org.slf4j;

  provides org.zbig.server.http.StatusPage with
      org.zbig.console.Console;
}
