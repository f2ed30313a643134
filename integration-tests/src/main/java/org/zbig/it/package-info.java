/**
 * Whole-system tests across real processes: servers started as separate JVMs, Python ZODB clients,
 * and Testcontainers tests against a locally started Docker engine. Nothing depends on this module;
 * its main code holds only helpers for starting the system under test.
 */
package org.zbig.it;
