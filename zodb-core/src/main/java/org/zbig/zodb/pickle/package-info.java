/**
 * Pickles to and from a small value model: the restricted reader ({@link
 * org.zbig.zodb.pickle.PickleReader}, protocols 0-5 in) and the canonical protocol-3 writer ({@link
 * org.zbig.zodb.pickle.PickleWriter}). Value types are listed in {@link
 * org.zbig.zodb.pickle.PickleValues}; any decoding failure is a {@link
 * org.zbig.zodb.pickle.PickleException} with the offset.
 */
package org.zbig.zodb.pickle;
