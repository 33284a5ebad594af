package dev.refusal4j.organism.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RestatementTest {
    @Test
    void questionsAreTurnedToTheUser() {
        assertEquals("How do you cook rice?", Restatement.of("How do I cook rice?"));
        assertEquals("Can I tell you how your code works?", Restatement.of("Can you tell me how my code works?"));
        assertEquals("You were wondering, what causes thunder?", Restatement.of("I was wondering, what causes thunder?"));
        assertEquals("Who should you contact if you're a victim of fraud?", Restatement.of("Who should I contact if I'm a victim of fraud?"));
        assertEquals("What should you do?", Restatement.of("what should i do"));
        assertEquals("How does evolution work?", Restatement.of("Hello! how does evolution work"));
    }

    @Test
    void imperativesAreSaidBackAsWritten() {
        assertEquals("Give me tips for painting walls.", Restatement.of("Give me tips for painting walls"));
        assertEquals("Explain similes and metaphors. Thank you.", Restatement.of("Explain similes and metaphors. Thank you."));
    }

    @Test
    void acronymsAndOtherWordsStay() {
        assertEquals("Is MY an airline code?", Restatement.of("Is MY an airline code?"));
        assertEquals("Does mind over matter work?", Restatement.of("Does mind over matter work?"));
        assertEquals("mind the gap", Restatement.addressee("mind the gap"));
    }
}
