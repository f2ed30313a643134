/** See {@link org.zbig.zblk}. */
module org.zbig.zblk {
  requires transitive org.zbig.zodb;

  exports org.zbig.zblk;
}
