package dev.refusal4j.serve;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server answers with an error instead of a completion, in OpenAI's shape:
 * {@code {"error": {"message", "type", "param", "code"}}}. Clients written for OpenAI (its SDKs map
 * the status to an exception class) read the message from there.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param; // the request field at fault, or null
    final String code;  // a machine-readable reason, or null

    ApiError(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a request field with a bad value or type. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "invalid_value", message);
    }

    Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return Map.of("error", e);
    }
}
