package org.zbig.zodb;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Allows, in the element it marks, a call the build's forbidden-apis check refuses elsewhere
 * (build-rules/forbidden-apis.txt): printing to the console in a command-line entry point, or a
 * sleep that is a back-off or an interval the user asked for rather than polling.
 */
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD})
public @interface SuppressForbidden {
  /** Why the call is right here. */
  String value();
}
