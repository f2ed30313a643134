/** See {@link org.zbig.cli}. */
module org.zbig.cli {
  requires org.zbig.client;
  requires org.zbig.bigarray;
  requires info.picocli;
  requires com.fasterxml.jackson.databind;
  requires org.zbig.clicommon;
}
