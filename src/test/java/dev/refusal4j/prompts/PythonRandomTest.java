package dev.refusal4j.prompts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Expected values printed by CPython 3.11.7's random module for the same seeds and calls. */
class PythonRandomTest {
    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @Test
    void rawBitsMatchCPython() {
        PythonRandom r = new PythonRandom(42);   // random.Random(42).getrandbits(32) x 3
        assertThat(List.of(r.nextUint32(), r.nextUint32(), r.nextUint32())).containsExactly(2746317213L, 478163327L, 107420369L);
        PythonRandom big = new PythonRandom((1L << 40) + 5);   // a seed longer than one 32-bit word
        assertThat(big.nextUint32()).isEqualTo(2166296868L);
        assertThat(big.randBelow(1000)).isEqualTo(529);        // randrange(1000)
    }

    @Test
    void shuffleAndSampleMatchCPython() {
        List<Integer> x = new ArrayList<>(range(10));
        new PythonRandom(0).shuffle(x);
        assertThat(x).containsExactly(7, 8, 1, 5, 3, 4, 2, 0, 9, 6);
        // population larger than the set-size threshold: index-set path
        assertThat(new PythonRandom(123).sample(range(1000), 10)).containsExactly(53, 274, 89, 787, 417, 272, 110, 858, 922, 895);
        // small population: pool path; negative seeds use |seed|
        assertThat(new PythonRandom(-7).sample(range(50), 5)).containsExactly(20, 9, 25, 41, 3);
    }
}
