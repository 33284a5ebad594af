package dev.refusal4j.serve;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.refusal4j.artifacts.RunFolder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The web playground's bytes: its three files from the jar ({@code playground/} in the resources)
 * and, with {@code serve --run}, the run's heatmaps. Every route is a key of a map filled at start,
 * so no part of a request ever becomes a file path.
 *
 * <p>Caching: the page is revalidated on every load ({@code no-cache} with an ETag, answered 304
 * when unchanged). It names its stylesheet and script with their content's hash in the query
 * ({@code /playground.js?v=HASH}), so those are cached for good under that name and a new build
 * is fetched under a new one. The heatmaps are revalidated like the page: another run may be
 * served at the same route after a restart.
 */
public final class Playground {
    /** Heatmaps at most this large are served; the report draws about 20 KB for a 32-layer model. */
    static final long MAX_HEATMAP_BYTES = 32 << 20;

    /** A file as it is served. */
    record Asset(byte[] body, String type, String etag, String version, String csp) {}

    /**
     * The run shown beside the answers: its folder's name and the heatmaps of the three scores as
     * the report drew them ({@code plots/heatmap_{bypass,induce,kl}.svg}), read once.
     */
    public record Run(String name, Map<String, byte[]> heatmaps) {
        /** The scores' names, in the report's order; {@code /run/heatmap/NAME.svg} serves each. */
        public static final List<String> SCORES = List.of("bypass", "induce", "kl");

        public Run {
            heatmaps = Map.copyOf(heatmaps);
        }

        /** The heatmaps that {@code dir}'s report has drawn (none when it has no plots yet). */
        public static Run read(Path dir) throws IOException {
            if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--run " + dir + ": no such directory");
            Map<String, byte[]> maps = new LinkedHashMap<>();
            for (String s : SCORES) {
                Path svg = new RunFolder(dir).plots().resolve("heatmap_" + s + ".svg");
                if (!Files.isRegularFile(svg)) continue;
                if (Files.size(svg) > MAX_HEATMAP_BYTES) {
                    throw new IllegalArgumentException("--run: " + svg + " is larger than " + (MAX_HEATMAP_BYTES >> 20) + " MB, not a heatmap the report drew");
                }
                maps.put(s, Files.readAllBytes(svg));
            }
            return new Run(dir.toAbsolutePath().normalize().getFileName().toString(), maps);
        }

        /** The names with a heatmap, in the report's order. */
        public List<String> scores() {
            return SCORES.stream().filter(heatmaps::containsKey).toList();
        }
    }

    // The page loads nothing from elsewhere and runs only its own script; an SVG opened on its own runs nothing.
    private static final String PAGE_CSP = "default-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

    private final Map<String, Asset> files = new LinkedHashMap<>();
    private final Map<String, Asset> heatmaps = new LinkedHashMap<>();

    /** @param run the run to show, or null */
    Playground(Run run) {
        Asset css = asset("playground.css", "text/css; charset=utf-8", null);
        Asset js = asset("playground.js", "text/javascript; charset=utf-8", null);
        String html = new String(resource("index.html"), StandardCharsets.UTF_8)
                .replace("\"/playground.css\"", "\"/playground.css?v=" + css.version + "\"")
                .replace("\"/playground.js\"", "\"/playground.js?v=" + js.version + "\"");
        files.put("/", asset(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8", PAGE_CSP));
        files.put("/playground.css", css);
        files.put("/playground.js", js);
        if (run != null) {
            for (String s : run.scores()) heatmaps.put(s, asset(run.heatmaps().get(s), "image/svg+xml", SVG_CSP));
        }
    }

    /** The playground's own file at {@code path}, or null. */
    Asset file(String path) {
        return files.get(path);
    }

    /** The heatmap of score {@code name} ("bypass", "induce", "kl"), or null when the run has none. */
    Asset heatmap(String name) {
        return heatmaps.get(name);
    }

    /**
     * Sends {@code a}, or 304 when the client's copy is current. {@code query}: the request's
     * query; a file asked for with its current version is cached for good.
     */
    static void send(HttpExchange ex, Asset a, String query) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", a.type);
        h.set("ETag", a.etag);
        boolean versioned = query != null && query.equals("v=" + a.version);
        h.set("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "no-cache");
        h.set("X-Content-Type-Options", "nosniff");
        if (a.csp != null) h.set("Content-Security-Policy", a.csp);
        if (matches(ex.getRequestHeaders().getFirst("If-None-Match"), a.etag)) {
            ex.sendResponseHeaders(304, -1);
            return;
        }
        ex.sendResponseHeaders(200, a.body.length);
        ex.getResponseBody().write(a.body);
    }

    /** Whether an If-None-Match header (a list of ETags, possibly weak, or *) names {@code etag}. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) return false;
        for (String t : ifNoneMatch.split(",")) {
            String tag = t.strip();
            if (tag.startsWith("W/")) tag = tag.substring(2);
            if (tag.equals("*") || tag.equals(etag)) return true;
        }
        return false;
    }

    private static Asset asset(String name, String type, String csp) {
        return asset(resource(name), type, csp);
    }

    private static Asset asset(byte[] body, String type, String csp) {
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        return new Asset(body, type, "\"" + hash + "\"", hash, csp);
    }

    private static byte[] resource(String name) {
        try (InputStream in = Playground.class.getResourceAsStream("/playground/" + name)) {
            if (in == null) throw new IllegalStateException("the jar lacks playground/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
