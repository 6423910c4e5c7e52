package io.outpost.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** What an admin handler answers: a status, a content type, the body bytes and any extra headers. */
public record AdminResponse(int status, String contentType, byte[] body, Map<String, String> headers) {

    public AdminResponse {
        headers = Map.copyOf(headers);
    }

    public AdminResponse(int status, String contentType, byte[] body) {
        this(status, contentType, body, Map.of());
    }

    /** This response with {@code name: value} added. */
    public AdminResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new AdminResponse(status, contentType, body, more);
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static AdminResponse json(int status, Object value) {
        try {
            return new AdminResponse(status, "application/json", JSON.writeValueAsBytes(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("admin response is not serialisable", e);
        }
    }

    public static AdminResponse json(JsonNode node) {
        return json(200, node);
    }

    public static AdminResponse text(int status, String contentType, String body) {
        return new AdminResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public static AdminResponse error(int status, String message) {
        return json(status, Map.of("status", status, "error", message));
    }
}
