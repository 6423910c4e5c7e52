package io.outpost.proxy;

import java.net.URI;

/**
 * Where one attempt of a request goes: an endpoint's address as the proxy needs it. The
 * {@code key} names the connection pool, so endpoints with one address share idle connections
 * across configuration reloads.
 */
public record UpstreamTarget(String scheme, String host, int port, String key, String authority) {

    public UpstreamTarget {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
    }

    /** Builds a target from an absolute {@code http://} or {@code https://} URL. */
    public static UpstreamTarget of(String url) {
        URI uri = URI.create(url);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("url: " + url + " (expected: an http or https URL)");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("url: " + url + " (expected: a host)");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String host = uri.getHost();
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        boolean defaultPort = uri.getPort() < 0;
        return new UpstreamTarget(scheme, bare, port, scheme + "://" + bare + ":" + port,
                defaultPort ? host : host + ":" + port);
    }

    public boolean secure() {
        return scheme.equals("https");
    }

    @Override
    public String toString() {
        return key;
    }
}
