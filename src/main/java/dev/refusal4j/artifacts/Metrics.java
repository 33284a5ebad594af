package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.json}: refusal rates per completion set (overall and per category), the loss of
 * the harmless baseline completions under each condition, the direction used, prompt counts,
 * stage timings and the quality of each set's answers. Maps keep the file's order and are empty when a section is absent.
 *
 * @param direction the direction the completions used (null: not recorded)
 * @param counts    prompts per set, and how many the refusal-score filter removed (whole numbers)
 * @param timingsSeconds per stage: wall-clock seconds
 * @param flops          per stage that runs the model: the floating-point operations of its forward passes
 *                       ({@code model.Flops}); with its time, the stage's effective rate
 * @param guardJudge        the model judge, null when none ran
 * @param jailbreakRate     per harmful completion set: the share the model judge calls unsafe (jailbroken)
 * @param judgeAgreement    per harmful completion set: the share on which the two judges agree (no refusal phrase ⇔ unsafe)
 * @param corpusLoss        per condition: cross-entropy on the user's --loss-corpus, empty without one
 * @param answerQuality     per completion set: whether its answers read as text ({@link AnswerQuality}), written as
 *                          {@code answer_quality}; empty when not measured
 */
public record Metrics(String model, String tool, String judge, Map<String, Double> refusalRate,
                      Map<String, Map<String, Double>> refusalRateByCategory, Map<String, Double> loss,
                      Direction direction, List<Integer> refusalTokens, Map<String, Double> counts,
                      Map<String, Double> timingsSeconds, Map<String, Double> flops, String guardJudge, Map<String, Double> jailbreakRate,
                      Map<String, Double> judgeAgreement, Map<String, Double> corpusLoss,
                      Map<String, AnswerQuality.Summary> answerQuality) {

    public record Direction(int layer, int position, double norm) {}

    /** Keys of a set's {@code answer_quality} object; a share that is NaN is left out, and so is reference_f1 without references. */
    public static final String ANSWERS = "answers", NON_WORDS = "non_words", REPEATED_PAIRS = "repeated_pairs", ON_TOPIC = "on_topic",
            WITH_REFERENCE = "with_reference", REFERENCE_F1 = "reference_f1";

    public void write(Path file) throws IOException {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("model", model);
        m.put("tool", tool);
        m.put("judge", judge);
        ObjectNode rate = m.putObject("refusal_rate");
        refusalRate.forEach(rate::put);
        ObjectNode byCat = m.putObject("refusal_rate_by_category");
        refusalRateByCategory.forEach((set, cats) -> {
            ObjectNode o = byCat.putObject(set);
            cats.forEach(o::put);
        });
        ObjectNode l = m.putObject("loss");
        loss.forEach(l::put);
        if (direction != null) m.putObject("direction").put("layer", direction.layer()).put("position", direction.position()).put("norm", direction.norm());
        var rt = m.putArray("refusal_tokens");
        refusalTokens.forEach(rt::add);
        ObjectNode cn = m.putObject("counts");
        counts.forEach((k, v) -> cn.put(k, v.longValue()));
        ObjectNode tn = m.putObject("timings_seconds");
        timingsSeconds.forEach(tn::put);
        if (!flops.isEmpty()) flops.forEach(m.putObject("flops")::put);
        if (guardJudge != null) m.put("guard_judge", guardJudge);
        if (!jailbreakRate.isEmpty()) jailbreakRate.forEach(m.putObject("jailbreak_rate_guard")::put);
        if (!judgeAgreement.isEmpty()) judgeAgreement.forEach(m.putObject("judge_agreement")::put);
        if (!corpusLoss.isEmpty()) corpusLoss.forEach(m.putObject("loss_corpus")::put);
        if (!answerQuality.isEmpty()) {
            ObjectNode aq = m.putObject("answer_quality");
            answerQuality.forEach((set, q) -> {
                ObjectNode o = aq.putObject(set).put(ANSWERS, q.answers());
                putShare(o, NON_WORDS, q.nonWords());
                putShare(o, REPEATED_PAIRS, q.repeatedPairs());
                putShare(o, ON_TOPIC, q.onTopic());
                o.put(WITH_REFERENCE, q.withReference());
                putShare(o, REFERENCE_F1, q.referenceF1());
            });
        }
        Json.write(file, m);
    }

    private static void putShare(ObjectNode o, String key, double v) {
        if (!Double.isNaN(v)) o.put(key, v);
    }

}
