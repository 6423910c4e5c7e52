package io.outpost.router;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** An in-memory {@link RequestView} for tests, built with withers. */
record TestRequest(String method, String host, String path, String query, Map<String, List<String>> fields,
                   String clientIp) implements RequestView {

    static TestRequest get(String path) {
        return new TestRequest("GET", "", path, "", Map.of(), "192.0.2.1");
    }

    TestRequest method(String value) {
        return new TestRequest(value, host, path, query, fields, clientIp);
    }

    TestRequest host(String value) {
        return new TestRequest(method, value, path, query, fields, clientIp);
    }

    TestRequest path(String value) {
        return new TestRequest(method, host, value, query, fields, clientIp);
    }

    TestRequest query(String value) {
        return new TestRequest(method, host, path, value, fields, clientIp);
    }

    TestRequest clientIp(String value) {
        return new TestRequest(method, host, path, query, fields, value);
    }

    /** Replaces every value of the header with {@code value}. */
    TestRequest header(String name, String value) {
        Map<String, List<String>> copy = new TreeMap<>(fields);
        copy.put(name.toLowerCase(Locale.ROOT), List.of(value));
        return new TestRequest(method, host, path, query, copy, clientIp);
    }

    /** Adds a field line: one more value of the header. */
    TestRequest addHeader(String name, String value) {
        Map<String, List<String>> copy = new TreeMap<>(fields);
        List<String> values = new ArrayList<>(copy.getOrDefault(name.toLowerCase(Locale.ROOT), List.of()));
        values.add(value);
        copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(values));
        return new TestRequest(method, host, path, query, copy, clientIp);
    }

    @Override
    public String header(String name) {
        List<String> values = headers(name);
        return values.isEmpty() ? null : values.get(0);
    }

    @Override
    public List<String> headers(String name) {
        return fields.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }
}
