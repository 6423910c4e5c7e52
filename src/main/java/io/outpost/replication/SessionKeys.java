package io.outpost.replication;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.config.RequestKey;
import io.outpost.middleware.Exchange;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a request's session ({@code sessionKey}: {@code header:N}, {@code cookie:N} or
 * {@code claim:N}). For {@code claim:} the verified claims that the jwt middleware leaves in the
 * {@value #CLAIMS_ATTRIBUTE} attribute win; without them the bearer token's payload is decoded
 * without checking its signature (routing only: authentication is the jwt middleware's job).
 */
final class SessionKeys {

    /** The exchange attribute where the jwt middleware leaves verified claims, as a {@code Map}. */
    static final String CLAIMS_ATTRIBUTE = io.outpost.middleware.auth.Claims.ATTRIBUTE;

    /** The session of a service configured without {@code sessionKey}. */
    static final String SINGLE_SESSION = "";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Optional<RequestKey> key;

    SessionKeys(Optional<RequestKey> key) {
        this.key = key;
    }

    boolean configured() {
        return key.isPresent();
    }

    /** The session of {@code exchange}; {@code null} when a key is configured but the request lacks it. */
    String of(Exchange exchange) {
        if (key.isEmpty()) {
            return SINGLE_SESSION;
        }
        RequestKey k = key.get();
        String value = switch (k.source()) {
            case HEADER -> exchange.header(k.name());
            case COOKIE -> cookie(exchange.header("cookie"), k.name());
            case CLAIM -> claim(exchange, k.name());
            case QUERY, CLIENT_IP, CONSUMER -> null; // not accepted by the configuration for sessions
        };
        return value == null || value.isEmpty() ? null : value;
    }

    /** Describes the key for error messages, for example {@code header X-Till}. */
    String describe() {
        return key.map(k -> k.source() + " " + k.name()).orElse("none");
    }

    static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
                String v = part.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v;
            }
        }
        return null;
    }

    static String claim(Exchange exchange, String name) {
        if (exchange.attribute(CLAIMS_ATTRIBUTE) instanceof Map<?, ?> claims) {
            Object v = claims.get(name);
            return v == null ? null : v.toString();
        }
        String auth = exchange.header("authorization");
        if (auth == null || auth.length() < 7 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return claimOfToken(auth.substring(7).trim(), name);
    }

    /** The claim {@code name} of a JWT's payload, unverified; {@code null} when absent or malformed. */
    static String claimOfToken(String token, String name) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0) {
            return null;
        }
        try {
            byte[] payload = Base64.getUrlDecoder().decode(token.substring(first + 1, second));
            JsonNode v = JSON.readTree(payload).get(name);
            return v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
        } catch (IllegalArgumentException | java.io.IOException e) {
            return null;
        }
    }
}
