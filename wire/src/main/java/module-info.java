/** See {@link org.zbig.wire}. */
module org.zbig.wire {
  requires org.zbig.zodb;

// exports org.zbig.wire once it holds API types (javac refuses to export an empty package)
}
