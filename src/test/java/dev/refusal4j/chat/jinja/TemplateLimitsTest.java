package dev.refusal4j.chat.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A template that would fill the heap, run for hours or overflow the stack fails fast with a
 * ResourceLimitError naming the limit (Limits), instead of an OutOfMemoryError or a hang; values
 * a real template uses still render.
 */
@Timeout(60)
class TemplateLimitsTest {
    private static final LocalDateTime NOW = LocalDateTime.of(2024, 7, 26, 0, 0);

    private static String render(String source) {
        return Template.parse(source).render(Map.of(), NOW);
    }

    private static void assertLimit(String source, String limitName) {
        assertThatThrownBy(() -> render(source))
                .isInstanceOf(Template.RenderException.class)
                .satisfies(e -> assertThat(((Template.RenderException) e).kind()).isEqualTo(Limits.KIND))
                .hasMessageContaining(limitName);
    }

    @Test
    void stringDoubledInALoopStopsAtMaxChars() {
        assertLimit("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
                "MAX_CHARS");
        assertLimit("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "MAX_CHARS");
        assertLimit("{{ 'x' * 2000000000 }}", "MAX_CHARS");
        assertLimit("{{ 'x' * 10000000000 }}", "MAX_CHARS"); // more than an int: was cast to a wrong count
        assertLimit("{{ 'ab'.replace('', 'x' * 5000000) }}", "MAX_CHARS");
        assertLimit("{{ 'a'.center(3000000000) }}", "MAX_CHARS");
        assertLimit("{{ '%2000000000s' % 'a' }}", "MAX_CHARS");
        assertLimit("{{ 'a'|indent(2000000000, true) }}", "MAX_CHARS");
        assertLimit("{{ [1]|tojson(indent=2000000000) }}", "MAX_CHARS");
    }

    @Test
    void hugeListsStopAtMaxItems() {
        assertLimit("{{ ([1] * 2000000000)|length }}", "MAX_ITEMS");
        assertLimit("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", "MAX_ITEMS");
        assertLimit("{{ [1]|batch(2000000000, fill_with=0)|list }}", "MAX_ITEMS");
    }

    @Test
    void nestedBigLoopsStopAtMaxSteps() {
        assertLimit("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "MAX_STEPS");
        // a loop of few iterations each scanning a long list is work too
        assertLimit("{% set big = range(100000)|list %}{% for i in range(100000) %}{% if -1 in big %}{% endif %}{% endfor %}",
                "MAX_STEPS");
    }

    @Test
    void renderedTextStopsAtMaxChars() {
        assertLimit("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "MAX_CHARS");
    }

    @Test
    void recursionStopsAtMaxCallDepth() {
        assertLimit("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "MAX_CALL_DEPTH");
        assertLimit("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "MAX_CALL_DEPTH");
        // well inside the limit, recursion works
        assertThat(render("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ f(50)|length }}"))
                .isEqualTo("92");
    }

    @Test
    void deepNestingInTheSourceIsAParseError() {
        String deep = "{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}";
        assertThatThrownBy(() -> Template.parse(deep)).isInstanceOf(JinjaException.class)
                .satisfies(e -> assertThat(((JinjaException) e).kind()).isEqualTo(Limits.KIND))
                .hasMessageContaining("MAX_NESTING");
        assertThatThrownBy(() -> Template.parse("{% if 1 %}".repeat(10_000) + "{% endif %}".repeat(10_000)))
                .isInstanceOf(JinjaException.class).hasMessageContaining("MAX_NESTING");
        assertThat(render("{{ " + "(".repeat(50) + "1" + ")".repeat(50) + " }}")).isEqualTo("1");
    }

    @Test
    void bigExponentIsQuick() {
        long start = System.nanoTime();
        assertThat(render("{{ 1 ** 10000000000 }}|{{ 3 ** 5 }}|{{ (-1) ** 3 }}|{{ 2 ** 0 }}")).isEqualTo("1|243|-1|1");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void sizesARealTemplateUsesStillRender() {
        assertThat(render("{{ ('x' * 1000000)|length }}|{{ ([0] * 100000)|length }}|{{ range(100000)|list|length }}"))
                .isEqualTo("1000000|100000|100000");
        assertThat(render("{{ 'ab' * 0 }}|{{ 'ab' * -3 }}|{{ [1] * -1 }}|{{ 'a'.center(5, '*') }}")).isEqualTo("||[]|**a**");
    }
}
