package dev.refusal4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTest {
    @Test
    void markupAndUnrepresentableCharactersAreEscaped() {
        assertThat(Html.esc("<a href=\"x\">&'</a>")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        // control characters and a lone surrogate cannot appear in HTML/XML text: shown as escapes
        assertThat(Html.esc("a\u0000b\u001bc\ud800d")).isEqualTo("a\\u0000b\\u001bc\\ud800d");
        // newlines and tabs stay; CRLF becomes LF; a proper surrogate pair (emoji) is kept
        assertThat(Html.esc("x\r\ny\tz\uD83D\uDE00")).isEqualTo("x\ny\tz\uD83D\uDE00");
        assertThat(Html.esc(null)).isEmpty();
    }

    @Test
    void numbersReadWell() {
        assertThat(Html.percent(0.97)).isEqualTo("97.0%");
        assertThat(Html.percent(Double.NaN)).isEqualTo("n/a");
        assertThat(Html.num(-14.4217)).isEqualTo("-14.42");
        assertThat(Html.num(0.065912)).isEqualTo("0.0659");
        assertThat(Html.num(0.00012345)).isEqualTo("1.23e-04");
        assertThat(Html.num(128.0)).isEqualTo("128");
        assertThat(Html.tick(0.001)).isEqualTo("1e-3");
        assertThat(Html.tick(10)).isEqualTo("10");
    }

    @Test
    void scalesPutZeroInTheMiddleAndSpanDecades() {
        Scale d = Scale.diverging(new double[]{-2, 0.5, Double.NaN, 1});
        assertThat(d.t(0)).isEqualTo(0.5);
        assertThat(d.t(-2)).isEqualTo(0.0);
        assertThat(d.t(1)).isEqualTo(0.75);
        assertThat(d.ticks()).containsExactly(-2.0, -1.0, 0.0, 1.0, 2.0);
        Scale l = Scale.log(new double[]{0, 0.001, 0.1, 10});
        assertThat(l.t(0)).isEqualTo(0.0);
        assertThat(l.t(0.001)).isEqualTo(0.0);
        assertThat(l.t(0.1)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(l.t(10)).isEqualTo(1.0);
        assertThat(l.ticks()).hasSize(5);
        assertThat(Colormap.DIVERGING.at(0.5)).isEqualTo(Rgb.hex("#f7f7f7"));
        assertThat(Colormap.SEQUENTIAL.at(-1)).isEqualTo(Rgb.hex("#440154"));
    }
}
