/** See {@link org.zbig.client}. */
module org.zbig.client {
  requires org.zbig.zodb;
  requires org.zbig.wire;
  requires org.zbig.zblk;

// exports org.zbig.client once it holds API types (javac refuses to export an empty package)
}
