/** See {@link org.zbig.bigarray}. */
module org.zbig.bigarray {
  requires org.zbig.client;

// exports org.zbig.bigarray once it holds API types (javac refuses to export an empty package)
}
