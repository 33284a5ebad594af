package dev.refusal4j;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.time.Duration;

/**
 * The one progress display: a bar with ETA on stderr for one stage (quiet mode prints one line per
 * stage instead). Library code reports through a {@link ProgressListener}; commands show it here.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final String task;
    private final long start = System.nanoTime();
    private final boolean quiet;

    public Progress(String task, long total, String unit, boolean quiet) {
        this(task, total, unit, quiet, 0);
    }

    /** A stage resumed with {@code done} units already done (they do not count towards the speed and ETA). */
    public Progress(String task, long total, String unit, boolean quiet, long done) {
        this.task = task;
        this.quiet = quiet;
        this.bar = quiet ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed().continuousUpdate()
                .startsFrom(done, Duration.ZERO).setMaxRenderedLength(110).build();
    }

    public void step(long n) {
        if (bar != null) bar.stepBy(n);
    }

    public void stepTo(long n) {
        if (bar != null) bar.stepTo(n);
    }

    public void extra(String message) {
        if (bar != null) bar.setExtraMessage(" " + message);
    }

    public double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
        if (quiet) System.err.printf("%s: done in %s%n", task, Duration.ofMillis((long) (seconds() * 1000)).toString().substring(2).toLowerCase());
    }
}
