package io.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * A position in the YAML tree with its key path. Each getter reports what is wrong to {@link Problems}
 * and returns the default instead of throwing, so that binding carries on and every error is found in
 * one pass. A result built after an error is never handed out.
 */
final class Node {

    private static final String EMPTY = "must not be empty";

    private final JsonNode json;
    private final String path;
    private final Problems problems;
    private final CertificateChecker certificates;

    Node(JsonNode json, String path, Problems problems, CertificateChecker certificates) {
        this.json = json;
        this.path = path;
        this.problems = problems;
        this.certificates = certificates;
    }

    /** Checks the contents of TLS files named in this load. */
    CertificateChecker certificates() {
        return certificates;
    }

    /**
     * False for an absent key and for one with no value ({@code key:} or {@code key: ~}), which YAML users
     * write for "not set". An empty string is a value: the getters report it rather than take it for the
     * default, which would hide a blank that a template left behind.
     */
    boolean present() {
        return json != null && !json.isMissingNode() && !json.isNull();
    }

    boolean isNull() {
        return json != null && json.isNull();
    }

    /** True when this is a mapping; reports nothing. */
    boolean isObject() {
        return json != null && json.isObject();
    }

    boolean isList() {
        return json != null && json.isArray();
    }

    boolean has(String key) {
        return at(key).present();
    }

    Node at(String key) {
        JsonNode child = json != null && json.isObject() ? json.get(key) : null;
        return new Node(child, path.isEmpty() ? key : path + "." + key, problems, certificates);
    }

    /**
     * The section of settings at {@code key}. A section written with no value ({@code accessLog:}) is the
     * same as an empty one ({@code accessLog: {}}), as in Traefik: the section with its defaults, so a
     * section whose presence turns something on turns it on, and one that needs a key says so.
     */
    Node section(String key) {
        Node child = at(key);
        return child.isNull() ? new Node(JsonNodeFactory.instance.objectNode(), child.path, problems, certificates) : child;
    }

    void error(String message) {
        problems.add(path, message);
    }

    void warn(String message) {
        problems.warn(path, message);
    }

    /** Checks that this is a mapping whose keys are all in {@code allowed}; false if it is not a mapping. */
    boolean mapping(String... allowed) {
        if (!isMapping()) {
            return false;
        }
        Set<String> known = Set.of(allowed);
        json.fieldNames().forEachRemaining(key -> {
            if (!known.contains(key)) {
                error("unknown key '" + key + "' (expected one of " + String.join(", ", allowed) + ")");
            }
        });
        return true;
    }

    /** Checks that this is a mapping (of free-form keys); reports the wrong type otherwise. */
    boolean isMapping() {
        if (json != null && json.isObject()) {
            return true;
        }
        error("expected a mapping, found " + describe(json));
        return false;
    }

    /** The keys of this node if it is a mapping, without reporting anything otherwise. */
    Set<String> keys() {
        Set<String> out = new LinkedHashSet<>();
        if (json != null && json.isObject()) {
            json.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    /** The entries of this mapping in file order; empty (after an error) when it is not one. */
    Map<String, Node> entries() {
        Map<String, Node> out = new LinkedHashMap<>();
        if (present() && isMapping()) {
            json.fieldNames().forEachRemaining(key -> out.put(key, at(key)));
        }
        return out;
    }

    /** The items of the list at {@code key}; empty when absent, and after an error when not a list. */
    List<Node> list(String key) {
        Node child = at(key);
        List<Node> out = new ArrayList<>();
        if (!child.present()) {
            return out;
        }
        if (!child.json.isArray()) {
            child.error("expected a list, found " + describe(child.json));
            return out;
        }
        for (int i = 0; i < child.json.size(); i++) {
            out.add(new Node(child.json.get(i), child.path + "[" + i + "]", problems, certificates));
        }
        return out;
    }

    /** What {@link #text()} returns, without reporting anything. */
    String quietText() {
        return json != null && (json.isTextual() || json.isNumber()) && !blank() ? json.asText() : null;
    }

    /**
     * This node as a string; numbers are accepted as their text. An empty string, or one of only spaces,
     * is an error. Null after an error.
     */
    String text() {
        if (blank()) {
            error(EMPTY);
            return null;
        }
        return textOrEmpty();
    }

    /** This node as a string, an empty one included: for the few values where {@code ""} means something. */
    String textOrEmpty() {
        if (json != null && (json.isTextual() || json.isNumber())) {
            return json.asText();
        }
        error("expected a string, found " + describe(json));
        return null;
    }

    String string(String key, String fallback) {
        Node child = valueAt(key);
        String text = child == null ? null : child.text();
        return text == null ? fallback : text;
    }

    /** The string at {@code key}, reporting it when missing; {@code ""} only after an error, so never a value. */
    String requiredString(String key) {
        if (!has(key)) {
            error("missing required key '" + key + "'");
            return "";
        }
        return string(key, "");
    }

    /** Parses the string at {@code key}; a parser's {@link IllegalArgumentException} becomes an error. */
    <T> Optional<T> parsed(String key, Function<String, T> parser) {
        Node child = valueAt(key);
        return child != null ? child.parse(parser) : Optional.empty();
    }

    <T> Optional<T> parse(Function<String, T> parser) {
        String text = text();
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parser.apply(text));
        } catch (IllegalArgumentException e) {
            error(e.getMessage());
            return Optional.empty();
        }
    }

    Optional<Duration> optDuration(String key) {
        return parsed(key, Durations::parse);
    }

    Duration duration(String key, Duration fallback) {
        return optDuration(key).orElse(fallback);
    }

    /** A duration that must be strictly positive. */
    Duration positiveDuration(String key, Duration fallback) {
        Duration d = duration(key, fallback);
        if (d.isZero() && has(key)) {
            at(key).error("must be > 0");
            return fallback;
        }
        return d;
    }

    /** A byte size: a plain integer of bytes or a string such as {@code "10MB"}; must be > 0. */
    long size(String key, long fallback) {
        Node child = valueAt(key);
        if (child == null) {
            return fallback;
        }
        long bytes;
        if (child.json.isIntegralNumber()) {
            if (!child.json.canConvertToLong()) {
                child.error(child.json.asText() + (child.json.bigIntegerValue().signum() > 0
                        ? " is too large (expected: at most " + Long.MAX_VALUE + " bytes)" : " (expected: a size > 0)"));
                return fallback;
            }
            bytes = child.json.asLong();
        } else {
            Optional<Long> parsed = child.parse(ByteSizes::parse);
            if (parsed.isEmpty()) {
                return fallback;
            }
            bytes = parsed.get();
        }
        if (bytes <= 0) {
            child.error(child.json.asText() + " (expected: a size > 0)");
            return fallback;
        }
        return bytes;
    }

    OptionalInt optInt(String key) {
        Node child = valueAt(key);
        if (child == null) {
            return OptionalInt.empty();
        }
        if (!child.json.isIntegralNumber() || !child.json.canConvertToInt()) {
            child.error("expected an integer, found " + describe(child.json));
            return OptionalInt.empty();
        }
        return OptionalInt.of(child.json.asInt());
    }

    /** An integer within {@code [min, max]}; out of range reports an error and yields the fallback. */
    int integer(String key, int fallback, int min, int max) {
        OptionalInt value = optInt(key);
        if (value.isEmpty()) {
            return fallback;
        }
        int v = value.getAsInt();
        if (v < min || v > max) {
            at(key).error(v + " (expected: " + range(min, max) + ")");
            return fallback;
        }
        return v;
    }

    Optional<Double> optNumber(String key) {
        Node child = valueAt(key);
        if (child == null) {
            return Optional.empty();
        }
        if (!child.json.isNumber()) {
            child.error("expected a number, found " + describe(child.json));
            return Optional.empty();
        }
        return Optional.of(child.json.asDouble());
    }

    boolean bool(String key, boolean fallback) {
        Node child = valueAt(key);
        if (child == null) {
            return fallback;
        }
        if (!child.json.isBoolean()) {
            child.error("expected true or false, found " + describe(child.json));
            return fallback;
        }
        return child.json.asBoolean();
    }

    /** A string that must be one of {@code choices}. */
    String choice(String key, String fallback, String... choices) {
        String value = string(key, fallback);
        if (!Arrays.asList(choices).contains(value)) {
            at(key).error("'" + value + "' (expected one of " + String.join(", ", choices) + ")");
            return fallback;
        }
        return value;
    }

    /**
     * The value at {@code key}, or null when it is not set (absent, or written with no value) and after
     * reporting an empty one: whatever its type, {@code ""} is an error, never the default.
     */
    private Node valueAt(String key) {
        Node child = at(key);
        if (!child.present()) {
            return null;
        }
        if (child.blank()) {
            child.error(EMPTY);
            return null;
        }
        return child;
    }

    private boolean blank() {
        return json != null && json.isTextual() && json.asText().isBlank();
    }

    static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "nothing";
        }
        if (node.isTextual() && node.asText().isEmpty()) {
            return "an empty string";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isBoolean()) {
            return "a boolean (" + node.asText() + ")";
        }
        if (node.isNumber()) {
            return "a number (" + node.asText() + ")";
        }
        return "a string (\"" + node.asText() + "\")";
    }

    private static String range(int min, int max) {
        if (max == Integer.MAX_VALUE) {
            return ">= " + min;
        }
        return min + "-" + max;
    }
}
