package dev.refusal4j.report;

import dev.refusal4j.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Paints a {@link Figure} with Java2D (headless) and writes it as PNG. */
final class Png {
    /** Pixels per CSS pixel: sharp on high-density screens and in documents. */
    static final int SCALE = 2;
    /**
     * Pixels an image has at most (32 MB as RGB): a larger figure is drawn at a smaller scale, so
     * that a plot of thousands of categories or layers fits a small heap.
     */
    static final double MAX_PIXELS = 8e6;

    private Png() {}

    /** The scale a figure is drawn at: {@link #SCALE}, less for a figure above {@link #MAX_PIXELS}. */
    static double scale(Figure f) {
        return Math.min(SCALE, Math.sqrt(MAX_PIXELS / (Math.max(1, f.width) * Math.max(1, f.height))));
    }

    static BufferedImage render(Figure f) {
        double scale = scale(f);
        BufferedImage img = new BufferedImage(Math.max(1, (int) (f.width * scale)), Math.max(1, (int) (f.height * scale)), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.scale(scale, scale);
            for (Figure.Shape s : f.shapes) {
                switch (s) {
                    case Figure.Rect r -> {
                        Rectangle2D.Double box = new Rectangle2D.Double(r.x(), r.y(), r.w(), r.h());
                        if (r.fill() != null) {
                            g.setColor(new Color(r.fill().argb()));
                            g.fill(box);
                        }
                        if (r.stroke() != null) {
                            g.setColor(new Color(r.stroke().argb()));
                            g.setStroke(new BasicStroke((float) r.strokeWidth()));
                            g.draw(box);
                        }
                    }
                    case Figure.Line l -> {
                        int alpha = (int) Math.round(255 * l.opacity());
                        g.setColor(new Color(l.color().r(), l.color().g(), l.color().b(), alpha));
                        g.setStroke(l.dashed()
                                ? new BasicStroke((float) l.width(), BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{4f, 3f}, 0f)
                                : new BasicStroke((float) l.width()));
                        g.draw(new Line2D.Double(l.x1(), l.y1(), l.x2(), l.y2()));
                    }
                    case Figure.Text t -> text(g, t);
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void text(Graphics2D g, Figure.Text t) {
        Font font = new Font(Font.SANS_SERIF, t.bold() ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) t.size());
        g.setFont(font);
        g.setColor(new Color(t.color().argb()));
        double w = font.getStringBounds(t.text(), g.getFontRenderContext()).getWidth();
        double dx = switch (t.anchor()) {
            case START -> 0;
            case MIDDLE -> -w / 2;
            case END -> -w;
        };
        AffineTransform saved = g.getTransform();
        g.translate(t.x(), t.y());
        if (t.vertical()) g.rotate(-Math.PI / 2);
        g.drawString(t.text(), (float) dx, 0f);
        g.setTransform(saved);
    }

    static void write(Figure f, Path file) throws IOException {
        BufferedImage img = render(f);
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer available for " + file);
        });
    }
}
