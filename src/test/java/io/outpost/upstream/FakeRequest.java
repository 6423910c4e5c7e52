package io.outpost.upstream;

import io.outpost.router.RequestView;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A request view built from plain values. */
public final class FakeRequest implements RequestView {

    private final Map<String, String> headers = new TreeMap<>();
    private String query = "";
    private String clientIp = "10.0.0.1";

    public FakeRequest header(String name, String value) {
        headers.put(name.toLowerCase(Locale.ROOT), value);
        return this;
    }

    public FakeRequest query(String q) {
        this.query = q;
        return this;
    }

    public FakeRequest clientIp(String ip) {
        this.clientIp = ip;
        return this;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String host() {
        return "example.test";
    }

    @Override
    public String path() {
        return "/";
    }

    @Override
    public String query() {
        return query;
    }

    @Override
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public String clientIp() {
        return clientIp;
    }
}
