package io.outpost.upstream;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * One upstream address of a cluster. The address, weight and priority are immutable and come from
 * configuration; the {@link EndpointState} is the live part the proxy, the health checker and the
 * outlier detector update. A configuration reload that keeps an endpoint passes its state on with
 * {@link #reconfigure(int, int)}, so health and in-flight counts survive the reload.
 *
 * <pre>{@code
 * Endpoint e = Endpoint.of("http://127.0.0.1:9001", 1, 0);
 * }</pre>
 */
public final class Endpoint {

    private final String id;
    private final String scheme;
    private final String host;
    private final int port;
    private final int weight;
    private final int priority;
    private final EndpointState state;

    private Endpoint(String scheme, String host, int port, int weight, int priority, EndpointState state) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
        }
        if (priority < 0) {
            throw new IllegalArgumentException("priority: " + priority + " (expected: >= 0)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.weight = weight;
        this.priority = priority;
        this.state = state;
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        this.id = scheme + "://" + h + ":" + port;
    }

    /** Parses {@code http(s)://host[:port]}; the port defaults to 80 or 443. */
    public static Endpoint of(String url, int weight, int priority) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + url + "\" is not an http(s) URL", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("\"" + url + "\" is not an http(s) URL");
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return new Endpoint(scheme, host.toLowerCase(Locale.ROOT), port, weight, priority, new EndpointState());
    }

    public static Endpoint of(String url) {
        return of(url, 1, 0);
    }

    /** The same address with a new weight and priority, sharing this endpoint's live state. */
    public Endpoint reconfigure(int newWeight, int newPriority) {
        return new Endpoint(scheme, host, port, newWeight, newPriority, state);
    }

    /** A stable identity, {@code scheme://host:port}; hashing policies place endpoints by it. */
    public String id() {
        return id;
    }

    public String scheme() {
        return scheme;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public int weight() {
        return weight;
    }

    /** 0 is the highest priority. */
    public int priority() {
        return priority;
    }

    public EndpointState state() {
        return state;
    }

    /** Whether load balancing may use this endpoint outside panic mode. */
    public boolean healthy() {
        return state.healthy();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint other && id.equals(other.id) && weight == other.weight
                && priority == other.priority;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, weight, priority);
    }

    @Override
    public String toString() {
        return id + "{weight=" + weight + ", priority=" + priority + ", " + state + "}";
    }
}
