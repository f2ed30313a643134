/**
 * wendelin.core's persistent big files (docs/formats.md §4.1 to 4.4): {@link
 * org.zbig.client.bigfile.ZBigFile} with its block table of {@link org.zbig.client.bigfile.ZBlk0}
 * and {@link org.zbig.client.bigfile.ZBlk1} (chunks in {@link org.zbig.client.bigfile.ZData}), as
 * virtmem's {@code BigFile}. Loading reads records through the database's shared record cache on
 * virtmem's threads (a ZBlk0 block's data straight from the network into its page, a ZBlk1 block
 * with its chunk table and chunks in one call); storing writes objects in the connection's thread
 * at commit; invalidation maps changed oids to exactly the changed blocks. The design is in {@link
 * org.zbig.client.bigfile.ZBigFile}'s class comment.
 */
package org.zbig.client.bigfile;
