/** See {@link org.zbig.bigarray}. */
module org.zbig.bigarray {
  requires transitive org.zbig.client;

  exports org.zbig.bigarray;
}
