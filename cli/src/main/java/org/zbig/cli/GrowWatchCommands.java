package org.zbig.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.zbig.bigarray.BigArray;
import org.zbig.bigarray.DType;
import org.zbig.bigarray.Index;
import org.zbig.bigarray.NDArray;
import org.zbig.bigarray.ZBigArray;
import org.zbig.clicommon.CommandTree;
import org.zbig.clicommon.CommandTree.Node;
import org.zbig.zodb.SuppressForbidden;
import org.zbig.zodb.Tid;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code array grow} and {@code array watch}: one client keeps appending rows to a float64 array,
 * others print what they see as the server's invalidations arrive. Element {@code [r, c]} of a
 * grown array holds {@code r * cols + c}, so a watcher checks every row it reads.
 */
final class GrowWatchCommands {
  private GrowWatchCommands() {}

  /** The value {@code grow} writes at row {@code r}, column {@code c}. */
  static double value(long r, long c, long cols) {
    return (double) (r * cols + c);
  }

  static final class Grow implements Callable<Integer> {
    static final String DESCRIPTION =
        "Append rows to a float64 array (created with --cols columns if missing), one commit per"
            + " round; element [r, c] holds r * cols + c.";

    CommandSpec spec;
    String name;
    long cols;
    long rows;
    double every;
    long count;

    Grow() {}

    static CommandSpec model(Node node) {
      Grow c = new Grow();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(ArrayCommands.name(() -> c.name, v -> c.name = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--cols")
                  .type(long.class)
                  .paramLabel("<cols>")
                  .defaultValue("8")
                  .description("columns of a new array"),
              () -> c.cols,
              v -> c.cols = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--rows")
                  .type(long.class)
                  .paramLabel("<rows>")
                  .defaultValue("1000")
                  .description("rows appended per round"),
              () -> c.rows,
              v -> c.rows = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--every")
                  .type(double.class)
                  .paramLabel("<every>")
                  .defaultValue("1")
                  .description("seconds between rounds"),
              () -> c.every,
              v -> c.every = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--count")
                  .type(long.class)
                  .paramLabel("<count>")
                  .defaultValue("0")
                  .description("rounds, 0 for ever"),
              () -> c.count,
              v -> c.count = v));
      return spec;
    }

    @Override
    @SuppressForbidden("sleeps the interval the user gave with --every")
    public Integer call() throws InterruptedException {
      if (rows < 1 || cols < 1 || every < 0 || count < 0) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--rows "
                + rows
                + " --cols "
                + cols
                + " --every "
                + every
                + " --count "
                + count
                + " (expected: rows and cols >= 1, every and count >= 0)");
      }
      PrintWriter out = spec.commandLine().getOut();
      try (ArrayCommands.Session s = ArrayCommands.Session.open(Main.of(spec))) {
        if (!s.conn().root().containsKey(name)) {
          ZBigArray a =
              new ZBigArray(new long[] {0, cols}, DType.scalar("<f8"), 'C', ArrayCommands.BLKSIZE);
          s.conn().root().put(name, a);
          s.conn().commit("create " + name);
          out.println("created " + name + "\t" + ArrayCommands.describe(a));
          out.flush();
        }
        ZBigArray za = s.array(name);
        if (za.shape().length != 2 || !za.dtype().equals(DType.scalar("<f8"))) {
          throw new IllegalArgumentException(
              "root['" + name + "']: " + ArrayCommands.describe(za) + " (expected: 2-d <f8)");
        }
        for (long round = 0; count == 0 || round < count; round++) {
          if (round > 0 && every > 0) {
            Thread.sleep((long) (every * 1000));
          }
          long[] shape = za.shape();
          long from = shape[0];
          long width = shape[1];
          za.resize(from + rows, width);
          BigArray a = za.open(s.vm());
          a.resize(from + rows, width);
          double[] values = new double[(int) (rows * width)];
          for (long r = 0; r < rows; r++) {
            for (long c = 0; c < width; c++) {
              values[(int) (r * width + c)] = value(from + r, c, width);
            }
          }
          try (BigArray.View v = a.view(true, Index.slice(from, from + rows, 1))) {
            v.array().copyFrom(values);
          }
          Tid tid = s.conn().commit("grow " + name);
          out.printf(
              Locale.ROOT,
              "appended rows %d..%d of %s at tid %s%n",
              from,
              from + rows,
              name,
              tid.toHex());
          out.flush();
        }
      }
      return 0;
    }
  }

  static final class Watch implements Callable<Integer> {
    static final String DESCRIPTION =
        "Print the rows of an array as other clients append them: one line per change, with the"
            + " sum of the new rows and whether they hold what grow writes.";

    CommandSpec spec;
    String name;
    long count;
    long untilRows;
    double timeout;

    Watch() {}

    static CommandSpec model(Node node) {
      Watch c = new Watch();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(ArrayCommands.name(() -> c.name, v -> c.name = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--count")
                  .type(long.class)
                  .paramLabel("<count>")
                  .defaultValue("0")
                  .description("changes to print, 0 for ever"),
              () -> c.count,
              v -> c.count = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--until-rows")
                  .type(long.class)
                  .paramLabel("<untilRows>")
                  .defaultValue("0")
                  .description("stop once it has this many rows"),
              () -> c.untilRows,
              v -> c.untilRows = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--timeout")
                  .type(double.class)
                  .paramLabel("<timeout>")
                  .defaultValue("0")
                  .description("seconds without a change after which to stop, 0 for never"),
              () -> c.timeout,
              v -> c.timeout = v));
      return spec;
    }

    @Override
    public Integer call() throws InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      try (ArrayCommands.Session s = ArrayCommands.Session.open(Main.of(spec))) {
        long seenRows = -1;
        long changes = 0;
        long bad = 0;
        Duration wait =
            timeout > 0 ? Duration.ofMillis((long) (timeout * 1000)) : Duration.ofDays(1);
        while (count == 0 || changes < count) {
          s.conn().newTransaction();
          Tid at = s.conn().snapshot();
          Object o = s.conn().root().get(name);
          if (o instanceof ZBigArray za && za.shape().length == 2 && za.shape()[0] != seenRows) {
            long rows = za.shape()[0];
            long cols = za.shape()[1];
            long from = Math.max(0, Math.min(seenRows, rows));
            double sum = 0;
            boolean ok = true;
            if (rows > from) {
              BigArray a = za.open(s.vm());
              try (BigArray.View v = a.view(from + ":" + rows)) {
                double[] got = v.array().toDoubleArray();
                for (int i = 0; i < got.length; i++) {
                  sum += got[i];
                  ok &= got[i] == value(from + i / cols, i % cols, cols);
                }
              }
            }
            bad += ok ? 0 : 1;
            out.printf(
                Locale.ROOT,
                "tid %s: %s has %d rows (%+d), new rows sum %.6g, %s%n",
                at.toHex(),
                name,
                rows,
                seenRows < 0 ? rows : rows - seenRows,
                sum,
                ok ? "as written" : "NOT AS WRITTEN");
            out.flush();
            seenRows = rows;
            changes++;
            if (untilRows > 0 && rows >= untilRows) {
              break;
            }
            continue;
          }
          Tid newer = s.db().awaitNewer(at, wait);
          if (newer.compareTo(at) <= 0 && timeout > 0) {
            out.printf(Locale.ROOT, "no change for %.1f s: stopping%n", timeout);
            out.flush();
            break;
          }
        }
        return bad == 0 ? 0 : 3;
      }
    }
  }

  static final class Show implements Callable<Integer> {
    static final String DESCRIPTION =
        "Print a view of an array as text, one row per line (at most --limit values).";

    CommandSpec spec;
    String name;
    String index;
    long limit;
    String at;

    Show() {}

    static CommandSpec model(Node node) {
      Show c = new Show();
      CommandSpec spec = CommandTree.command(c, node);
      c.spec = spec;
      spec.addPositional(ArrayCommands.name(() -> c.name, v -> c.name = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--index")
                  .type(String.class)
                  .paramLabel("<index>")
                  .defaultValue("...")
                  .description("numpy basic indexing, e.g. -3:,:4"),
              () -> c.index,
              v -> c.index = v));
      spec.addOption(
          CommandTree.option(
              OptionSpec.builder("--limit")
                  .type(long.class)
                  .paramLabel("<limit>")
                  .defaultValue("1000")
                  .description("values printed at most"),
              () -> c.limit,
              v -> c.limit = v));
      spec.addOption(ArrayCommands.at(ArrayCommands.AT_HELP, () -> c.at, v -> c.at = v));
      return spec;
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (ArrayCommands.Session s = ArrayCommands.Session.open(Main.of(spec), at)) {
        ZBigArray za = s.array(name);
        BigArray a = za.open(s.vm());
        try (BigArray.View v = a.view(index)) {
          NDArray nd = v.array();
          long[] shape = nd.shape();
          long rowLength = shape.length == 0 ? 1 : shape[shape.length - 1];
          double[] values = nd.size() > limit ? null : nd.toDoubleArray();
          out.println(name + "[" + index + "]: shape " + Arrays.toString(shape) + " " + nd.dtype());
          if (values == null) {
            out.println("(" + nd.size() + " values: more than --limit " + limit + ")");
          } else {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < values.length; i++) {
              line.append(i % rowLength == 0 ? "" : " ").append(values[i]);
              if ((i + 1) % rowLength == 0 || i == values.length - 1) {
                out.println(line);
                line.setLength(0);
              }
            }
          }
        }
      }
      out.flush();
      return 0;
    }
  }
}
