/** See {@link org.zbig.server}. */
module org.zbig.server {
  requires org.zbig.zodb;
  requires org.zbig.wire;

// exports org.zbig.server once it holds API types (javac refuses to export an empty package)
}
