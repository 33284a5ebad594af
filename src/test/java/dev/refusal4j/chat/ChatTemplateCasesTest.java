package dev.refusal4j.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance: every case of ../shared/templates/cases.jsonl, loaded from a model folder holding
 * only its template file, must render exactly the text Python jinja2 rendered with Hugging Face's
 * settings on 2024-07-26 (at least 95% of them), and every case marked "error" must fail with a
 * ChatTemplateException naming the template file and carrying Python's error message.
 */
class ChatTemplateCasesTest {
    private static final LocalDate RENDER_DAY = LocalDate.of(2024, 7, 26);

    @Test
    void rendersSharedCasesExactly(@TempDir Path tmp) throws Exception {
        List<SharedTemplateCases> cases = SharedTemplateCases.all();
        assertThat(cases).hasSize(213);
        int passed = 0;
        List<String> misses = new ArrayList<>();
        List<String> errorsNotRaised = new ArrayList<>();
        for (SharedTemplateCases c : cases) {
            String got;
            try {
                ChatTemplate t = ChatTemplate.load(c.modelDir(tmp));
                got = t.render(c.messages(), c.addGenerationPrompt(), c.variables(), RENDER_DAY);
            } catch (ChatTemplateException e) {
                if (c.error() != null && e.getMessage().contains(c.source()) && e.getMessage().contains(pythonMessage(c.error()))) {
                    passed++;
                } else if (c.error() != null) {
                    errorsNotRaised.add(c.id() + ": error should name the template file and say \"" + pythonMessage(c.error())
                            + "\": " + e.getMessage());
                } else {
                    misses.add(c.id() + ": raised " + e.getMessage());
                }
                continue;
            }
            if (c.error() != null) {
                errorsNotRaised.add(c.id() + ": expected " + c.error() + " but rendered");
            } else if (got.equals(c.expected())) {
                passed++;
            } else {
                misses.add(c.id() + ": " + firstDifference(c.expected(), got));
            }
        }
        System.out.println("chat template cases: " + passed + "/" + cases.size() + " exact");
        misses.forEach(m -> System.out.println("  miss: " + m));
        errorsNotRaised.forEach(m -> System.out.println("  error case: " + m));
        assertThat(errorsNotRaised).isEmpty();
        assertThat(passed).isGreaterThanOrEqualTo((int) Math.ceil(0.95 * cases.size()));
    }

    /** "TemplateError: System role not supported" -> "System role not supported". */
    private static String pythonMessage(String error) {
        int colon = error.indexOf(": ");
        return colon < 0 ? error : error.substring(colon + 2);
    }

    static String firstDifference(String want, String got) {
        int i = 0;
        while (i < Math.min(want.length(), got.length()) && want.charAt(i) == got.charAt(i)) i++;
        return "differs at char " + i + ": expected " + quote(want, i) + " got " + quote(got, i);
    }

    private static String quote(String s, int at) {
        String part = s.substring(Math.max(0, at - 10), Math.min(s.length(), at + 30));
        return "\"" + part.replace("\n", "\\n") + "\"";
    }
}
