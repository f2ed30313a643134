/*
 * Build step of the launchers' library folders (run by Maven at `package`, as a single-file
 * source program of the JDK that runs Maven):
 *
 *   java build-rules/ModernizeJars.java DIR
 *
 * rewrites, in place, every jar in DIR that holds class files older than Java 6 (major version
 * below 50) into the same classes at the current class-file version, with the stack maps the
 * current verifier wants. Why: the JDK's ahead-of-time cache, which bin/launch.sh uses to start a
 * command fast, skips such old classes ("Old class has been linked"), so each start loaded and
 * verified them again with the old verifier; picocli, which every command line start runs, ships
 * Java 5 class files. The rewrite keeps every instruction (the JDK's own class-file API rebuilds
 * each method body from its instructions and computes the frames), checks each new class with
 * the same API's verifier, and leaves a jar untouched if any class fails it. Jars already current
 * are left alone, so the step is idempotent.
 */

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

final class ModernizeJars {
  /** The first class-file version whose classes the ahead-of-time cache keeps. */
  static final int FIRST_CACHED = 50;

  private ModernizeJars() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1 || !Files.isDirectory(Path.of(args[0]))) {
      System.err.println("usage: java ModernizeJars.java DIR (a folder of jars)");
      System.exit(2);
    }
    List<Path> jars;
    try (Stream<Path> s = Files.list(Path.of(args[0]))) {
      jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
    }
    for (Path jar : jars) {
      if (hasOldClasses(jar)) {
        int n = rewrite(jar);
        System.out.println("ModernizeJars: " + jar.getFileName() + ": " + n + " classes rewritten");
      }
    }
  }

  /** Whether {@code jar} holds a class file below {@link #FIRST_CACHED}. */
  static boolean hasOldClasses(Path jar) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      return zip.stream()
          .filter(ModernizeJars::isClass)
          .anyMatch(e -> major(read(zip, e)) < FIRST_CACHED);
    }
  }

  /** Rewrites {@code jar} in place; returns how many classes changed. */
  static int rewrite(Path jar) throws IOException {
    ClassLoader jarLoader =
        new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    ClassFile cf =
        ClassFile.of(
            ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.defaultResolver()
                    .orElse(ClassHierarchyResolver.ofResourceParsing(jarLoader))));
    ClassTransform current =
        ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
            .andThen(
                (builder, element) -> {
                  if (element instanceof ClassFileVersion) {
                    builder.with(ClassFileVersion.of(ClassFile.latestMajorVersion(), 0));
                  } else {
                    builder.with(element);
                  }
                });
    Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
    int n = 0;
    List<String> failures = new ArrayList<>();
    try (ZipFile zip = new ZipFile(jar.toFile());
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
      for (ZipEntry e : zip.stream().toList()) {
        byte[] bytes = read(zip, e);
        if (isClass(e) && major(bytes) < FIRST_CACHED) {
          ClassModel model = cf.parse(bytes);
          byte[] modern = cf.transformClass(model, current);
          List<VerifyError> errors = cf.verify(modern);
          if (!errors.isEmpty()) {
            failures.add(e.getName() + ": " + errors.getFirst().getMessage());
          }
          bytes = modern;
          n++;
        }
        ZipEntry copy = new ZipEntry(e.getName());
        copy.setTime(e.getTime());
        out.putNextEntry(copy);
        out.write(bytes);
        out.closeEntry();
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    if (!failures.isEmpty()) {
      Files.deleteIfExists(tmp);
      System.err.println(
          "ModernizeJars: "
              + jar.getFileName()
              + " left as it was; "
              + failures.size()
              + " rewritten classes fail verification, first: "
              + failures.getFirst());
      return 0;
    }
    Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return n;
  }

  /** Whether {@code e} is a class of the jar's base layer (not a versioned or module entry). */
  static boolean isClass(ZipEntry e) {
    return e.getName().endsWith(".class")
        && !e.getName().startsWith("META-INF/")
        && !e.getName().endsWith("module-info.class");
  }

  static int major(byte[] classFile) {
    return Short.toUnsignedInt(ByteBuffer.wrap(classFile).order(ByteOrder.BIG_ENDIAN).getShort(6));
  }

  static byte[] read(ZipFile zip, ZipEntry e) {
    try {
      return zip.getInputStream(e).readAllBytes();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }
}
