package dev.refusal4j.serve;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code serve} as a Java application sees it through LangChain4j's OpenAI client, on loopback
 * with an API key: whole and streamed greedy answers equal {@link dev.refusal4j.generate.TextGenerator}'s
 * one-at-a-time answers on the organism, token usage and finish reasons are read, steering goes
 * through the client's custom parameters, and the server's errors become the client's exceptions
 * with the server's message.
 */
@Timeout(300)
class LangChain4jClientTest {
    static final int MAX_TOKENS = 40;
    static Organism organism;
    static ChatServer server;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        organism = new Organism();
        server = ChatServer.start(Organism.DIR, organism.model, organism.direction, Steering.Mode.NONE, null, null,
                new ChatServer.Options("127.0.0.1", 0, 8, "s3cret", Duration.ofMinutes(2), 4),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        base = "http://127.0.0.1:" + server.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (organism != null) organism.close();
    }

    private static OpenAiChatModel.OpenAiChatModelBuilder chat() {
        return OpenAiChatModel.builder().baseUrl(base).apiKey("s3cret").modelName("organism").temperature(0.0).maxTokens(MAX_TOKENS)
                .timeout(Duration.ofSeconds(60)).maxRetries(0);
    }

    @Test
    void aWholeAnswerIsTheGreedyAnswer() {
        for (String prompt : List.of(Organism.split("harmless_test").getFirst(), Organism.split("harmful_test").getFirst())) {
            ChatResponse r = chat().build().chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                    .messages(dev.langchain4j.data.message.UserMessage.from(prompt)).build());
            String expected = organism.answer(prompt, MAX_TOKENS, false);
            assertThat(r.aiMessage().text()).as(prompt).isEqualTo(expected);
            assertThat(r.modelName()).isEqualTo("organism");
            assertThat(r.id()).startsWith("chatcmpl-");
            int tokens = r.tokenUsage().outputTokenCount();
            assertThat(tokens).isBetween(1, MAX_TOKENS);
            assertThat(r.finishReason()).isEqualTo(tokens == MAX_TOKENS ? FinishReason.LENGTH : FinishReason.STOP);
            assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(organism.encoder.encode(prompt).length);
        }
    }

    @Test
    void aStreamedAnswerIsTheSameTextInPieces() throws Exception {
        String prompt = Organism.split("harmless_test").get(1);
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("s3cret").modelName("organism")
                .temperature(0.0).maxTokens(MAX_TOKENS).timeout(Duration.ofSeconds(60)).build();
        StringBuffer pieces = new StringBuffer();
        List<String> parts = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(prompt, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
                pieces.append(piece);
                parts.add(piece);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(120, TimeUnit.SECONDS);
        String expected = organism.answer(prompt, MAX_TOKENS, false);
        assertThat(r.aiMessage().text()).isEqualTo(expected);
        assertThat(pieces.toString()).isEqualTo(expected);
        assertThat(parts.size()).as("streamed in more than one piece").isGreaterThan(1);
        assertThat(r.tokenUsage().outputTokenCount()).as("usage from stream_options.include_usage").isBetween(1, MAX_TOKENS);
    }

    @Test
    void steeringIsACustomParameter() {
        String prompt = Organism.split("harmful_test").get(1);
        String refused = organism.answer(prompt, MAX_TOKENS, false), ablated = organism.answer(prompt, MAX_TOKENS, true);
        assertThat(ablated).isNotEqualTo(refused);
        assertThat(chat().customParameters(Map.of("refusal4j", Map.of("steering", "ablate"))).build().chat(prompt)).isEqualTo(ablated);
        assertThat(chat().customParameters(Map.of("refusal4j", Map.of("steering", "none"))).build().chat(prompt)).isEqualTo(refused);
    }

    @Test
    void theServersErrorsAreTheClientsExceptions() {
        Throwable e = catchThrowable(() -> chat().customParameters(Map.of("refusal4j", Map.of("steering", "sideways"))).build().chat("hi"));
        assertThat(e).isInstanceOf(InvalidRequestException.class).hasMessageContaining("refusal4j.steering must be one of none, ablate, add, subtract");
        assertThat(catchThrowable(() -> chat().modelName("gpt-4o").build().chat("hi")))
                .isInstanceOf(ModelNotFoundException.class).hasMessageContaining("this server serves 'organism'");
        assertThat(catchThrowable(() -> chat().apiKey("wrong").build().chat("hi")))
                .isInstanceOf(dev.langchain4j.exception.AuthenticationException.class).hasMessageContaining("API key");
    }
}
