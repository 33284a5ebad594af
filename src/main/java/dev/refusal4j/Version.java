package dev.refusal4j;

import picocli.CommandLine;

/** The tool version, as written into every artifact's provenance. */
public final class Version implements CommandLine.IVersionProvider {
    public static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {"refusal4j " + VERSION};
    }
}
