package dev.refusal4j.chat.jinja;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Small templates exercising one jinja2 behaviour each (whitespace control, scoping, Python
 * printing and methods, undefined handling, filters, tojson, errors). The expected text or error
 * in src/test/resources/chat/jinja2-semantics.json was produced by Python jinja2 3.1.6 set up as
 * Hugging Face sets it up (see jinja2-semantics.py beside it), with msgs = a 4-message conversation
 * and strftime_now fixed at 2024-07-26 00:00.
 */
class Jinja2SemanticsTest {
    @Test
    void matchesPythonJinja2() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/chat/jinja2-semantics.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        List<Map<String, Object>> msgs = List.of(msg("system", "S"), msg("user", "U1"), msg("assistant", "A"), msg("user", "U2"));
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String src = c.get("template").asText();
            String got;
            try {
                Map<String, Object> vars = new java.util.HashMap<>();
                vars.put("msgs", msgs);
                vars.put("n", null);
                got = Template.parse(src).render(vars, LocalDateTime.of(2024, 7, 26, 0, 0));
            } catch (JinjaException | Template.RenderException e) {
                String kind = e instanceof JinjaException je ? je.kind() : ((Template.RenderException) e).kind();
                String msg = e instanceof JinjaException je ? je.getMessage() : ((Template.RenderException) e).templateMessage();
                got = "ERROR " + kind + ": " + msg;
            }
            if (c.has("expected")) {
                if (!got.equals(c.get("expected").asText())) failures.add(src + "\n   expected " + c.get("expected") + "\n   got      " + got);
            } else {
                String want = c.get("error").asText();
                // compile-time errors are worded differently (Python's own SyntaxError for a misplaced break
                // becomes a TemplateSyntaxError here); runtime errors must match in class and message
                boolean ok;
                if (want.startsWith("SyntaxError")) ok = got.startsWith("ERROR TemplateSyntaxError");
                else if (want.startsWith("TemplateSyntaxError") || want.startsWith("TemplateAssertionError")) {
                    ok = got.startsWith("ERROR " + want.substring(0, want.indexOf(':')));
                } else ok = got.equals("ERROR " + want);
                if (!ok) failures.add(src + "\n   expected error " + want + "\n   got " + got);
            }
        }
        assertThat(failures).as(String.join("\n", failures)).isEmpty();
        assertThat(cases.size()).isGreaterThan(50);
    }

    private static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
