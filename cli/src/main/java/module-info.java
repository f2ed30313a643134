/** See {@link org.zbig.cli}. */
module org.zbig.cli {
  requires org.zbig.client;
  requires org.zbig.bigarray;

// exports org.zbig.cli once it holds API types (javac refuses to export an empty package)
}
