package io.outpost.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where an upstream endpoint listens. It is an origin only (scheme, host, port): the request's own
 * path is forwarded unchanged, so a path here would be silently ignored and is rejected instead.
 */
public record UpstreamUrl(String scheme, String host, int port) implements Scalar {

    public UpstreamUrl {
        scheme = scheme.toLowerCase(Locale.ROOT);
        host = host.toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code "http://127.0.0.1:9001"}; the port defaults to 80 or 443.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    public static UpstreamUrl parse(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an http(s) URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("\"" + text + "\" is not an http(s) URL");
        }
        if (uri.getHost() == null && uri.getRawAuthority() != null) {
            // The URI is well formed, but its authority is no host[:port]: an '_' in a name, a port of 10 digits.
            throw new IllegalArgumentException("\"" + text + "\" has no valid host name (expected: letters, digits, "
                    + "'-' and '.', or an IP address, for example \"http://10.0.0.1:9000\")");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("\"" + text + "\" has no host (expected: for example \"http://10.0.0.1:9000\")");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new IllegalArgumentException("\"" + text + "\" has a port out of range (expected: 1-65535)");
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("\"" + text
                    + "\" must be scheme://host[:port] only (the request's path is forwarded as is)");
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new UpstreamUrl(scheme, host, port);
    }

    public boolean secure() {
        return scheme.equals("https");
    }

    @Override
    public String toString() {
        return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
