/** See {@link org.zbig.zblk}. */
module org.zbig.zblk {
  requires org.zbig.zodb;

// exports org.zbig.zblk once it holds API types (javac refuses to export an empty package)
}
