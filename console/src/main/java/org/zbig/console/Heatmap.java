package org.zbig.console;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * A grid of values as a PNG, one pixel per value, coloured by the viridis colour map from the
 * smallest value (dark purple) to the largest (yellow); NaN is grey.
 */
final class Heatmap {
  private Heatmap() {}

  /** The colour of NaN. */
  static final int NAN_RGB = 0x808080;

  /**
   * The viridis colour of {@code t} in [0, 1] as 0xRRGGBB: a degree-6 polynomial fit of
   * matplotlib's viridis table per channel (within about 1% of it).
   */
  static int rgb(double t) {
    t = Math.max(0, Math.min(1, t));
    double r =
        0.2777273272234177
            + t
                * (0.1050930431085774
                    + t
                        * (-0.3308618287255563
                            + t
                                * (-4.634230498983486
                                    + t
                                        * (6.228269936347081
                                            + t * (4.776384997670288 + t * -5.435455855934631)))));
    double g =
        0.005407344544966578
            + t
                * (1.404613529898575
                    + t
                        * (0.214847559468213
                            + t
                                * (-5.799100973351585
                                    + t
                                        * (14.17993336680509
                                            + t * (-13.74514537774601 + t * 4.645852612178535)))));
    double b =
        0.3340998053353061
            + t
                * (1.384590162594685
                    + t
                        * (0.09509516302823659
                            + t
                                * (-19.33244095627987
                                    + t
                                        * (56.69055260068105
                                            + t * (-65.35303263337234 + t * 26.3124352495832)))));
    return channel(r) << 16 | channel(g) << 8 | channel(b);
  }

  private static int channel(double v) {
    return (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
  }

  /** The colour of {@code v} on the scale {@code [lo, hi]}. */
  static int rgb(double v, double lo, double hi) {
    if (Double.isNaN(v)) {
      return NAN_RGB;
    }
    return rgb(hi > lo ? (v - lo) / (hi - lo) : 0.5);
  }

  /** The PNG of {@code grid} on the scale {@code [lo, hi]}. */
  static byte[] png(Slices.Grid grid, double lo, double hi) {
    BufferedImage img =
        new BufferedImage(
            Math.max(1, grid.cols()), Math.max(1, grid.rows()), BufferedImage.TYPE_INT_RGB);
    for (int r = 0; r < grid.rows(); r++) {
      for (int c = 0; c < grid.cols(); c++) {
        img.setRGB(c, r, rgb(grid.values()[r * grid.cols() + c], lo, hi));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
