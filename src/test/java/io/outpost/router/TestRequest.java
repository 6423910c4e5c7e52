package io.outpost.router;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** An in-memory {@link RequestView} for tests, built with withers. */
record TestRequest(String method, String host, String path, String query, Map<String, String> headers,
                   String clientIp) implements RequestView {

    static TestRequest get(String path) {
        return new TestRequest("GET", "", path, "", Map.of(), "192.0.2.1");
    }

    TestRequest method(String value) {
        return new TestRequest(value, host, path, query, headers, clientIp);
    }

    TestRequest host(String value) {
        return new TestRequest(method, value, path, query, headers, clientIp);
    }

    TestRequest path(String value) {
        return new TestRequest(method, host, value, query, headers, clientIp);
    }

    TestRequest query(String value) {
        return new TestRequest(method, host, path, value, headers, clientIp);
    }

    TestRequest clientIp(String value) {
        return new TestRequest(method, host, path, query, headers, value);
    }

    TestRequest header(String name, String value) {
        Map<String, String> copy = new TreeMap<>(headers);
        copy.put(name.toLowerCase(Locale.ROOT), value);
        return new TestRequest(method, host, path, query, copy, clientIp);
    }

    @Override
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }
}
