/** See {@link org.zbig.clicommon}. */
@SuppressWarnings("requires-automatic")
module org.zbig.clicommon {
  requires org.zbig.wire;
  requires transitive me.tongfei.progressbar;
  requires transitive info.picocli;

  exports org.zbig.clicommon;
}
