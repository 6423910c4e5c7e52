package io.outpost.proxy;

import io.outpost.tls.UpstreamTls;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * Where one attempt of a request goes: an endpoint's address as the proxy needs it. The
 * {@code key} names the connection pool, so endpoints with one address share idle connections
 * across configuration reloads. {@code tls} is how an https target is reached (null for http).
 */
public record UpstreamTarget(String scheme, String host, int port, String key, String authority, UpstreamTls tls) {

    public UpstreamTarget {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        if (scheme.equals("https") && tls == null) {
            tls = UpstreamTls.defaults();
        }
    }

    /** A target whose https connections use the JDK's trust store. */
    public UpstreamTarget(String scheme, String host, int port, String key, String authority) {
        this(scheme, host, port, key, authority, null);
    }

    /** Builds a target from an absolute {@code http://} or {@code https://} URL. */
    public static UpstreamTarget of(String url) {
        return of(url, null);
    }

    /** Builds a target from a URL; {@code tls} (null: the defaults) applies to https URLs only. */
    public static UpstreamTarget of(String url, UpstreamTls tls) {
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
        UpstreamTls upstreamTls = scheme.equals("https") ? (tls == null ? UpstreamTls.defaults() : tls) : null;
        String tlsId = upstreamTls == null || upstreamTls.id().isEmpty() ? "" : "#tls-" + upstreamTls.id();
        return new UpstreamTarget(scheme, bare, port, scheme + "://" + bare + ":" + port + tlsId,
                defaultPort ? host : host + ":" + port, upstreamTls);
    }

    /** The socket address when {@code host} is a literal IP, else null: a name needs resolving. */
    public InetSocketAddress literalAddress() {
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
        return literal == null ? null : new InetSocketAddress(literal, port);
    }

    public boolean secure() {
        return scheme.equals("https");
    }

    @Override
    public String toString() {
        return key;
    }
}
