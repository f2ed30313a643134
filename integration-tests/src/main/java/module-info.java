/** See {@link org.zbig.it}. */
module org.zbig.it {
  // exports org.zbig.it once it holds API types (javac refuses to export an empty package)
}
