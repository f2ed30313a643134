/**
 * Whole-system tests across real processes: servers started as separate JVMs, Python ZODB clients,
 * and Testcontainers tests against a locally started Docker engine. Nothing depends on this module,
 * and its main code is this overview alone: the tests and their helpers are all under src/test.
 */
package org.zbig.it;
