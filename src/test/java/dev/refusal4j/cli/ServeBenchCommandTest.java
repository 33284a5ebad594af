package dev.refusal4j.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** serve-bench on the organism: one line per round, with the counts the round asked for; bad options are one-line errors. */
class ServeBenchCommandTest {
    @Test
    void eachRoundIsALineOfItsClientsRequestsAndTokens() {
        BenchCommandTest.Run r = BenchCommandTest.run("serve-bench", "--model", "models/organism", "--clients", "1,3", "--requests", "2", "--max-tokens", "5");
        assertThat(r.rc()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).startsWith("serve-bench organism").contains("batch 3", "5 tokens per answer at most", "steering none");
        assertThat(lines.get(1)).startsWith("cpu ");
        int header = lines.indexOf(dev.refusal4j.serve.ServeBench.Summary.HEADER);
        assertThat(header).isPositive();
        List<String> rounds = lines.subList(header + 1, lines.size());
        assertThat(rounds).hasSize(2);
        for (int i = 0; i < 2; i++) {
            String[] f = rounds.get(i).strip().split("\\s+");
            int clients = i == 0 ? 1 : 3;
            assertThat(Integer.parseInt(f[0])).isEqualTo(clients);
            assertThat(Integer.parseInt(f[1])).as("requests").isEqualTo(clients * 2);
            assertThat(Integer.parseInt(f[2])).as("tokens").isBetween(clients * 2, clients * 2 * 5);
            double seconds = Double.parseDouble(f[3]), perSecond = Double.parseDouble(f[4]);
            int tokens = Integer.parseInt(f[2]);
            assertThat(perSecond).as("tokens / seconds, the seconds printed to 0.01").isBetween(tokens / (seconds + 0.005) - 0.05, tokens / Math.max(seconds - 0.005, 1e-9) + 0.05);
        }
    }

    @Test
    void badOptionsAreOneLineErrors() {
        for (String[] args : List.of(new String[] {"--clients", "0"}, new String[] {"--steering", "ablate"}, new String[] {"--steering", "up"},
                new String[] {"--max-tokens", "0"}, new String[] {"--requests", "0"})) {
            BenchCommandTest.Run r = BenchCommandTest.run(concat(args));
            assertThat(r.rc()).as(String.join(" ", args)).isNotZero();
            assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).contains(args[0]);
        }
    }

    private static String[] concat(String[] args) {
        String[] all = new String[args.length + 3];
        all[0] = "serve-bench";
        all[1] = "--model";
        all[2] = "models/organism";
        System.arraycopy(args, 0, all, 3, args.length);
        return all;
    }
}
