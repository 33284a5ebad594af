package dev.refusal4j.spark;

import dev.refusal4j.run.RunConfig;
import dev.refusal4j.run.StageEngine;

/** Registers {@link SparkEngine} for {@code --spark MASTER}. */
public final class SparkEngineProvider implements StageEngine.Provider {
    @Override
    public String option() {
        return "--spark";
    }

    @Override
    public StageEngine open(String master, RunConfig cfg) {
        return new SparkEngine(master, cfg);
    }
}
