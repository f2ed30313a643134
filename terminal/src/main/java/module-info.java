/** See {@link org.zbig.terminal}. */
@SuppressWarnings("requires-automatic")
module org.zbig.terminal {
  requires org.zbig.zodb;
  requires transitive me.tongfei.progressbar;

  exports org.zbig.terminal;
}
