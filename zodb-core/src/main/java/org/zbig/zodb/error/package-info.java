/**
 * Errors with ZODB meaning. {@link org.zbig.zodb.error.StorageException} is the unchecked root;
 * every subclass names the Python exception class it stands for ({@code pythonName()}), which is
 * what a ZEO error reply carries (docs/protocol.md §2.5):
 *
 * <table>
 *   <caption>Java exception and Python class</caption>
 *   <tr><th>Java</th><th>Python</th></tr>
 *   <tr><td>{@code StorageException}</td><td>{@code ZODB.POSException.StorageError}</td></tr>
 *   <tr><td>{@code ConflictException}</td><td>{@code ZODB.POSException.ConflictError}</td></tr>
 *   <tr><td>{@code ReadConflictException}</td>
 *       <td>{@code ZODB.POSException.ReadConflictError}</td></tr>
 *   <tr><td>{@code BTreesConflictException}</td>
 *       <td>{@code ZODB.POSException.BTreesConflictError}</td></tr>
 *   <tr><td>{@code NoSuchObjectException}</td><td>{@code ZODB.POSException.POSKeyError}</td></tr>
 *   <tr><td>{@code ReadOnlyException}</td><td>{@code ZODB.POSException.ReadOnlyError}</td></tr>
 *   <tr><td>{@code StorageTransactionException}</td>
 *       <td>{@code ZODB.POSException.StorageTransactionError}</td></tr>
 *   <tr><td>{@code UndoException}</td><td>{@code ZODB.POSException.UndoError}</td></tr>
 *   <tr><td>{@code MultipleUndoException}</td>
 *       <td>{@code ZODB.POSException.MultipleUndoErrors}</td></tr>
 *   <tr><td>{@code MissingKeyException}</td><td>{@code builtins.KeyError}</td></tr>
 *   <tr><td>{@code WrongTypeException}</td><td>{@code builtins.TypeError}</td></tr>
 *   <tr><td>{@code InvalidValueException}</td><td>{@code builtins.ValueError}</td></tr>
 *   <tr><td>{@code ServerException}</td>
 *       <td>{@code ZEO.Exceptions.ServerException} (any other class)</td></tr>
 *   <tr><td>{@code ProtocolException}</td><td>{@code ZEO.Exceptions.ProtocolError}</td></tr>
 *   <tr><td>{@code ClientDisconnectedException}</td>
 *       <td>{@code ZEO.Exceptions.ClientDisconnected}</td></tr>
 * </table>
 *
 * <p>Converting an exception to and from its wire payload is the wire module's job; this package
 * only fixes the names and the fields the payloads carry.
 */
package org.zbig.zodb.error;
